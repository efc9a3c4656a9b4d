#pragma once
// The referral service's gRPC adapter (yilian.referral.v1.Referrals): authenticates the
// caller as one who works referrals, turns the request into a command::Call (idempotency
// key scoped by caller), and hands it to ReferralCommands, or a read to ReferralQueries.
// Who may do what is the domain core's (domain::referral access and each command's side
// rule; docs/ROLES.md).
//
// Every method is a callback method: a command's handler queues its append and returns, and
// the journal's completion thread finishes the call once the append is durable, so no thread
// waits for an fsync. A read that shows patients' identities (GetReferral, the worklists)
// finishes once the showing is on record (command/reveal_record.h), on the completion thread.
// WatchWorklist streams from a thread of its own (host::StreamThread), at most kMaxWatches.
//
// Thread-safe. Borrows all parts.

#include "referral_commands.h"
#include "referral_queries.h"
#include "worklist_watch.h"
#include "yilian/command/reveal_record.h"
#include "yilian/host/authenticator.h"
#include "yilian/referral/v1/referral_service.grpc.pb.h"

namespace yilian::referral {

class ReferralService final : public v1::Referrals::CallbackService {
 public:
  // At most this many WatchWorklist streams at once (each has a thread); more are RESOURCE_EXHAUSTED.
  static constexpr int kMaxWatches = 256;

  ReferralService(ReferralCommands* commands, const ReferralQueries* queries, const WorklistWatcher* watcher,
                  command::RevealRecorder* reveals, const host::Authenticator* auth)
      : commands_(commands), queries_(queries), watcher_(watcher), reveals_(reveals), auth_(auth) {}

  using Ctx = grpc::CallbackServerContext;
  using Reactor = grpc::ServerUnaryReactor;
  Reactor* Submit(Ctx*, const v1::SubmitReferralRequest*, v1::ReferralReply*) override;
  Reactor* Send(Ctx*, const v1::SendReferralRequest*, v1::ReferralReply*) override;
  Reactor* Amend(Ctx*, const v1::AmendReferralRequest*, v1::ReferralReply*) override;
  Reactor* Acknowledge(Ctx*, const v1::AcknowledgeReferralRequest*, v1::ReferralReply*) override;
  Reactor* Accept(Ctx*, const v1::AcceptReferralRequest*, v1::ReferralReply*) override;
  Reactor* AssignOwner(Ctx*, const v1::AssignOwnerRequest*, v1::ReferralReply*) override;
  Reactor* Reject(Ctx*, const v1::RejectReferralRequest*, v1::ReferralReply*) override;
  Reactor* RequestInformation(Ctx*, const v1::RequestInformationRequest*, v1::ReferralReply*) override;
  Reactor* SupplyInformation(Ctx*, const v1::SupplyInformationRequest*, v1::ReferralReply*) override;
  Reactor* Schedule(Ctx*, const v1::ScheduleReferralRequest*, v1::ReferralReply*) override;
  Reactor* Reschedule(Ctx*, const v1::RescheduleReferralRequest*, v1::ReferralReply*) override;
  Reactor* RecordArrival(Ctx*, const v1::RecordArrivalRequest*, v1::ReferralReply*) override;
  Reactor* Hold(Ctx*, const v1::HoldReferralRequest*, v1::ReferralReply*) override;
  Reactor* Resume(Ctx*, const v1::ResumeReferralRequest*, v1::ReferralReply*) override;
  Reactor* Fail(Ctx*, const v1::FailReferralRequest*, v1::ReferralReply*) override;
  Reactor* Complete(Ctx*, const v1::CompleteReferralRequest*, v1::ReferralReply*) override;
  Reactor* Cancel(Ctx*, const v1::CancelReferralRequest*, v1::ReferralReply*) override;
  Reactor* Redirect(Ctx*, const v1::RedirectReferralRequest*, v1::ReferralReply*) override;
  Reactor* MarkEnteredInError(Ctx*, const v1::MarkEnteredInErrorRequest*, v1::ReferralReply*) override;
  Reactor* GetReferral(Ctx*, const v1::GetReferralRequest*, v1::GetReferralResponse*) override;
  Reactor* ListIncoming(Ctx*, const v1::ListWorklistRequest*, v1::ListWorklistResponse*) override;
  Reactor* ListOutgoing(Ctx*, const v1::ListWorklistRequest*, v1::ListWorklistResponse*) override;
  Reactor* ListEscalated(Ctx*, const v1::ListEscalatedRequest*, v1::ListWorklistResponse*) override;
  Reactor* ListPatientReferrals(Ctx*, const v1::ListPatientReferralsRequest*, v1::ListWorklistResponse*) override;
  Reactor* ListAvailableSlots(Ctx*, const v1::ListAvailableSlotsRequest*, v1::ListAvailableSlotsResponse*) override;
  grpc::ServerWriteReactor<v1::WorklistChange>* WatchWorklist(Ctx*, const v1::WatchWorklistRequest*) override;

 private:
  // The authenticated caller, if it works referrals.
  absl::StatusOr<common::Principal> Caller(const grpc::ServerContextBase& ctx) const;
  // Authenticates, builds the call (request_id required) and runs `command`, whose answer
  // finishes the call.
  Reactor* Command(Ctx* ctx, const google::protobuf::Message& req, const std::string& request_id,
                   v1::ReferralReply* out,
                   absl::FunctionRef<void(const command::Call&, ReferralCommands::Done)> command);
  // Acknowledge, Accept, ...: `act` on the referral the request names.
  template <typename Request>
  Reactor* Act(Ctx* ctx, const Request& req, v1::ReferralReply* out, ReferralCommands::Act act) {
    return Command(ctx, req, req.request_id(), out, [&](const command::Call& call, ReferralCommands::Done done) {
      commands_->Run(call, req.referral_id(), req.expected_version(), act, std::move(done));
    });
  }

  // Finishes a read with `result` once the identities it shows (`shown`) are on record.
  template <typename Reply>
  Reactor* Revealing(Ctx* ctx, const common::Principal& who, const char* rpc, absl::StatusOr<Reply> result, Reply* out,
                     std::vector<std::string> (*shown)(const Reply&));

  ReferralCommands* commands_;
  const ReferralQueries* queries_;
  const WorklistWatcher* watcher_;
  std::atomic<int> open_watches_{0};
  command::RevealRecorder* reveals_;
  const host::Authenticator* auth_;
};

}  // namespace yilian::referral
