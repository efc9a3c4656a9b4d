#pragma once
// The one write path of the referral service. Every command on a referral goes through
// Command(): answer a retry from its idempotency record, take the referral's stripe lock,
// load the row, check the expected version (ABORTED), decide with the domain core, fold the
// events to the reply, and append them — with whatever other aggregates the decision touches
// (an expert session's bookings, a linked referral) — in ONE journal transaction, each with
// its expected version. The reply waits for the fsync.
//
// Locks: referral stripe, then session stripe (Change::locks holds those taken by a decision
// until its append is durable), so bookings of one session are decided one at a time and a
// slot cannot be booked twice. The locks are StripeLocks: the journal's completion thread
// releases them when a CommandAsync's append is durable, so no thread waits for the fsync.
// Thread-safe.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "referral_model.h"
#include "stripe_locks.h"
#include "yilian/common/clock.h"
#include "yilian/domain/referral/referral.h"
#include "yilian/domain/referral/slots.h"
#include "yilian/eventstore/journal.h"

namespace yilian::referral {

namespace dr = ::yilian::domain::referral;

struct Call {
  common::Principal actor;
  std::string correlation_id;
  std::string idempotency_key;  // "" = none
  std::string request_hash;     // with a key
  std::string causation_id;
};

// What a decision changes: events on the referral, and other aggregates in the same append.
struct Change {
  dr::Events events;
  std::vector<eventstore::AppendRequest> also;  // aggregate, expected_version and events set
  std::vector<StripeLocks::Hold> locks;         // held until the append is durable
};

class ReferralWriter {
 public:
  ReferralWriter(eventstore::Journal* journal, const ReferralView* view, common::Clock* clock)
      : journal_(journal), view_(view), clock_(clock) {}

  using Decide = std::function<absl::StatusOr<Change>(const std::optional<fv1::Referral>& state)>;
  using Done = absl::AnyInvocable<void(absl::StatusOr<fv1::ReferralReply>) &&>;
  // Adds to a reply what it shows but the journal does not store (the service's Decorate).
  using Shape = std::function<void(fv1::ReferralReply&)>;
  // `expected_version` 0: don't check. A decision with no events answers the current row.
  // `done` runs once: on the calling thread when the command ends before an append (an error,
  // a retry answered from its record, a decision with no events), else on the journal's
  // completion thread once the append is durable or has failed; keep it short there. The
  // locks are released before `done` runs. `shape` (may be null) runs on the calling thread
  // on this call's reply, once its stored form is taken; on the completion thread only for an
  // answer parsed from the idempotency record (a concurrent retry).
  void CommandAsync(const Call& call, const std::string& referral_id, int64_t expected_version, const Decide& decide,
                    Done done, Shape shape = nullptr);
  // The same, waiting for the answer.
  absl::StatusOr<fv1::ReferralReply> Command(const Call& call, const std::string& referral_id,
                                             int64_t expected_version, const Decide& decide);
  // A prior answer to this call's idempotency key (nullopt when new).
  absl::StatusOr<std::optional<fv1::ReferralReply>> Prior(const Call& call) const;

  // For decisions: a session's bookings under its stripe lock (moved into Change::locks).
  absl::StatusOr<fv1::SessionBookings> LockSession(const std::string& session_id, Change& change);
  // Appends the release of `referral`'s expert slot (if it holds one) to `change`.
  absl::Status ReleaseSlot(const fv1::Referral& referral, const std::string& reason, Change& change);
  // Appends `events` for a new referral (a redirect's or a downward follow-up) to `change`.
  static void AddReferral(const dr::Events& events, Change& change);
  // An aggregate append of session events for `change.also`.
  static eventstore::AppendRequest SessionAppend(const fv1::SessionBookings& bookings,
                                                 const std::vector<fv1::SessionEvent>& events);

  absl::Time Now() const { return clock_->Now(); }
  static common::Principal System() { return {"referral", "", common::Role::ROLE_SERVICE}; }

 private:
  // Up to the append: the requests, this call's reply and the locks, or the answer already.
  struct Prepared;
  absl::StatusOr<Prepared> Prepare(const Call& call, const std::string& referral_id, int64_t expected_version,
                                   const Decide& decide);

  eventstore::Journal* journal_;
  const ReferralView* view_;
  common::Clock* clock_;
  StripeLocks referral_locks_;
  StripeLocks session_locks_;
};

// The envelope of a referral event, indexed by patient and institutions for the audit.
events::v1::Envelope ReferralEnvelope(const fv1::ReferralEvent& event, const fv1::Referral& after);

}  // namespace yilian::referral
