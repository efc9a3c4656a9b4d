#pragma once
// The referral service's commands: each loads what its decision needs (the referral, an
// expert session's bookings, the registry mirror), asks the domain core, and hands the
// decision to the command runner, which writes it (the referral with whatever else it
// touches, in one transaction) and answers once it is durable.
//
// Locks: the referral's stripe (the runner's), then expert sessions' (all at once, in stripe
// order), held until the append is durable: bookings of one session are decided one at a time
// and a slot cannot be booked twice.
//
// Expert slots follow the referral: whatever command (a caller's, a timer's, an answer's) leaves
// a referral no longer holding the slot it held (cancelled, failed, redirected, entered in
// error, rescheduled elsewhere, its session cancelled) frees that slot in the same transaction.
//
// The answer is the referral as the command leaves it (Redirect: the referral it opens),
// shaped by the ReplyShape. Thread-safe; borrows all parts.

#include <functional>
#include <optional>
#include <string>

#include "directory.h"
#include "referral_model.h"
#include "reply_shape.h"
#include "yilian/command/runner.h"
#include "yilian/common/clock.h"
#include "yilian/domain/referral/follow_ups.h"
#include "yilian/privacy/key_vault.h"
#include "yilian/referral/v1/referral_service.pb.h"

namespace yilian::referral {
class ReferralCommands {
 public:
  struct Options {
    domain::referral::Deadlines deadlines;
    domain::referral::SlotPolicy slots;
  };
  ReferralCommands(eventstore::Journal* journal, const ReferralView* view, const MirrorDirectory* directory,
                   privacy::KeyVault* vault, const ReplyShape* shape, common::Clock* clock, Options options);

  using Done = command::Runner::Done<v1::ReferralReply>;
  // A decision on an existing referral by a caller on `side`.
  using Act = absl::FunctionRef<absl::StatusOr<domain::referral::Events>(const std::optional<v1::Referral>& r,
                                                                         domain::referral::Side side, absl::Time now)>;
  // A decision of the service itself (timers, the bed board's answers): no events when
  // nothing is to change (or there is no such referral).
  using SystemAct =
      absl::FunctionRef<absl::StatusOr<domain::referral::Events>(const std::optional<v1::Referral>& r, absl::Time now)>;

  void Submit(const command::Call& call, const v1::SubmitReferralRequest& req, Done done);
  // Acknowledge, Accept, Reject, RequestInformation, SupplyInformation, RecordArrival, ...: the
  // caller's side of the referral, then `act`.
  void Run(const command::Call& call, const std::string& referral_id, int64_t expected_version, Act act, Done done);
  void Send(const command::Call& call, const v1::SendReferralRequest& req, Done done);
  void Amend(const command::Call& call, const v1::AmendReferralRequest& req, Done done);
  void Schedule(const command::Call& call, const v1::ScheduleReferralRequest& req, Done done);
  void Reschedule(const command::Call& call, const v1::RescheduleReferralRequest& req, Done done);
  void MarkEnteredInError(const command::Call& call, const v1::MarkEnteredInErrorRequest& req, Done done);
  void Complete(const command::Call& call, const v1::CompleteReferralRequest& req, Done done);
  void Cancel(const command::Call& call, const v1::CancelReferralRequest& req, Done done);
  void Redirect(const command::Call& call, const v1::RedirectReferralRequest& req, Done done);
  // The service's own command, waiting for the answer. NOT_FOUND for an unknown referral.
  absl::StatusOr<v1::ReferralReply> RunAsService(const command::Call& call, const std::string& referral_id,
                                                 SystemAct act);

  absl::Time Now() const { return clock_->Now(); }

 private:
  using Decision = command::Decision<v1::ReferralReply>;
  using ReferralStream = command::Stream<v1::Referral, v1::ReferralEvent>;
  // What a command does with the referral (loaded under its lock, version checked): events on
  // `referral`, and anything more in `decision` (other aggregates, their locks).
  using Decide = absl::FunctionRef<absl::Status(ReferralStream& referral, Decision& decision)>;
  // Every command: load, check the caller may see the referral (`check_caller`: not for the
  // service's own calls), check the version, decide, and shape the decision's reply.
  absl::StatusOr<Decision> DecideOn(const command::Call& call, const std::string& referral_id, int64_t expected_version,
                                    Decide decide, bool check_caller);
  void RunCommand(const command::Call& call, const std::string& referral_id, int64_t expected_version, Decide decide,
                  Done done);
  // Whether the caller may see the referral now: asked before a retry gets its stored answer.
  absl::Status MaySee(const command::Call& call, const std::string& referral_id) const;
  // An existing referral and the caller's side of it.
  void RunOnExisting(const command::Call& call, const std::string& referral_id, int64_t expected_version,
                     absl::FunctionRef<absl::Status(ReferralStream&, domain::referral::Side, Decision&)> decide,
                     Done done);
  // Frees the slot `before` held when the decision leaves the referral without it (unless the
  // decision already writes that session).
  absl::Status FollowSlot(const std::string& held_before, const v1::Referral& after, Decision& decision);
  // Adds the release of `referral_id`'s slot of a session whose bookings are locked already.
  absl::Status ReleaseSlot(const v1::SessionBookings& bookings, const std::string& referral_id,
                           const std::string& reason, Decision& decision);
  // The sessions' stripes (one LockAll; kept in `decision` until durable), then their bookings.
  absl::StatusOr<std::vector<v1::SessionBookings>> LockSessions(std::vector<std::string> session_ids,
                                                                Decision& decision);
  // Adds a referral the command opens (its events) to `decision`; its state.
  absl::StatusOr<v1::Referral> Open(const domain::referral::Events& events, Decision& decision);

  command::Runner runner_;
  const ReferralView* view_;
  const MirrorDirectory* directory_;
  privacy::KeyVault* vault_;
  const ReplyShape* shape_;
  common::Clock* clock_;
  Options options_;
  command::StripeLocks referral_locks_;
  command::StripeLocks session_locks_;
};

}  // namespace yilian::referral
