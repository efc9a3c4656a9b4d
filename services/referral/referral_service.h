#pragma once
// The referral service's gRPC adapter (yilian.referral.v1.Referrals): authenticates the
// caller as one who works referrals, turns the request into a command::Call (idempotency
// key scoped by caller), and hands it to ReferralCommands, or a read to ReferralQueries.
// Who may do what is the domain core's (domain::referral access and each command's side
// rule; docs/ROLES.md).
//
// Every method is a callback method: a command's handler queues its append and returns, and
// the journal's completion thread finishes the call once the append is durable, so no thread
// waits for an fsync. Reads finish on the handler's thread.
//
// Thread-safe. Borrows all parts.

#include "referral_commands.h"
#include "referral_queries.h"
#include "yilian/host/authenticator.h"
#include "yilian/referral/v1/referral_service.grpc.pb.h"

namespace yilian::referral {

class ReferralService final : public fv1::Referrals::CallbackService {
 public:
  ReferralService(ReferralCommands* commands, const ReferralQueries* queries, const host::Authenticator* auth)
      : commands_(commands), queries_(queries), auth_(auth) {}

  using Ctx = grpc::CallbackServerContext;
  using Reactor = grpc::ServerUnaryReactor;
  Reactor* Submit(Ctx*, const fv1::SubmitReferralRequest*, fv1::ReferralReply*) override;
  Reactor* Acknowledge(Ctx*, const fv1::ReferralActionRequest*, fv1::ReferralReply*) override;
  Reactor* Accept(Ctx*, const fv1::ReferralActionRequest*, fv1::ReferralReply*) override;
  Reactor* Reject(Ctx*, const fv1::RejectReferralRequest*, fv1::ReferralReply*) override;
  Reactor* RequestInformation(Ctx*, const fv1::RequestInformationRequest*, fv1::ReferralReply*) override;
  Reactor* SupplyInformation(Ctx*, const fv1::SupplyInformationRequest*, fv1::ReferralReply*) override;
  Reactor* Schedule(Ctx*, const fv1::ScheduleReferralRequest*, fv1::ReferralReply*) override;
  Reactor* RecordArrival(Ctx*, const fv1::ReferralActionRequest*, fv1::ReferralReply*) override;
  Reactor* Complete(Ctx*, const fv1::CompleteReferralRequest*, fv1::ReferralReply*) override;
  Reactor* Cancel(Ctx*, const fv1::CancelReferralRequest*, fv1::ReferralReply*) override;
  Reactor* Redirect(Ctx*, const fv1::RedirectReferralRequest*, fv1::ReferralReply*) override;
  Reactor* GetReferral(Ctx*, const fv1::GetReferralRequest*, fv1::GetReferralResponse*) override;
  Reactor* ListIncoming(Ctx*, const fv1::ListWorklistRequest*, fv1::ListWorklistResponse*) override;
  Reactor* ListOutgoing(Ctx*, const fv1::ListWorklistRequest*, fv1::ListWorklistResponse*) override;
  Reactor* ListAvailableSlots(Ctx*, const fv1::ListAvailableSlotsRequest*, fv1::ListAvailableSlotsResponse*) override;

 private:
  // The authenticated caller, if it works referrals.
  absl::StatusOr<common::Principal> Caller(const grpc::ServerContextBase& ctx) const;
  // Authenticates, builds the call (request_id required) and runs `command`, whose answer
  // finishes the call.
  Reactor* Command(Ctx* ctx, const google::protobuf::Message& req, const std::string& request_id,
                   fv1::ReferralReply* out,
                   absl::FunctionRef<void(const command::Call&, ReferralCommands::Done)> command);
  // Acknowledge, Accept, ...: `act` on the referral the request names.
  template <typename Request>
  Reactor* Act(Ctx* ctx, const Request& req, fv1::ReferralReply* out, ReferralCommands::Act act) {
    return Command(ctx, req, req.request_id(), out, [&](const command::Call& call, ReferralCommands::Done done) {
      commands_->Run(call, req.referral_id(), req.expected_version(), act, std::move(done));
    });
  }

  ReferralCommands* commands_;
  const ReferralQueries* queries_;
  const host::Authenticator* auth_;
};

}  // namespace yilian::referral
