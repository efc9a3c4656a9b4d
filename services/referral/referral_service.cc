#include "referral_service.h"

#include "yilian/common/status_macros.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/referral/access.h"
#include "yilian/host/answer.h"
#include "yilian/host/call_deadline.h"
#include "yilian/host/stream_thread.h"

namespace yilian::referral {

namespace dref = ::yilian::domain::referral;

namespace fv1 = ::yilian::referral::v1;

using command::Call;
using Done = ReferralCommands::Done;
using ReferralState = std::optional<fv1::Referral>;

absl::StatusOr<common::Principal> ReferralService::Caller(const grpc::ServerContextBase& ctx) const {
  ASSIGN_OR_RETURN(auto who, auth_->Authenticate(ctx));
  RETURN_IF_ERROR(dref::MayWorkReferrals(who));
  return who;
}

ReferralService::Reactor* ReferralService::Command(Ctx* ctx, const google::protobuf::Message& req,
                                                   const std::string& request_id, fv1::ReferralReply* out,
                                                   absl::FunctionRef<void(const Call&, Done)> command) {
  auto who = Caller(*ctx);
  if (!who.ok()) return host::Finish(ctx, who.status());
  auto call = command::CallOf("referral", *std::move(who), host::CorrelationId(*ctx), req, request_id,
                              command::RequestId::kRequired);
  if (!call.ok()) return host::Finish(ctx, call.status());
  auto* reactor = ctx->DefaultReactor();
  command(*call, host::Finisher(reactor, out));
  return reactor;
}

ReferralService::Reactor* ReferralService::Submit(Ctx* ctx, const fv1::SubmitReferralRequest* req,
                                                  fv1::ReferralReply* out) {
  return Command(ctx, *req, req->request_id(), out,
                 [&](const Call& call, Done done) { commands_->Submit(call, *req, std::move(done)); });
}

ReferralService::Reactor* ReferralService::Send(Ctx* ctx, const fv1::SendReferralRequest* req,
                                                fv1::ReferralReply* out) {
  return Command(ctx, *req, req->request_id(), out,
                 [&](const Call& call, Done done) { commands_->Send(call, *req, std::move(done)); });
}

ReferralService::Reactor* ReferralService::Amend(Ctx* ctx, const fv1::AmendReferralRequest* req,
                                                 fv1::ReferralReply* out) {
  return Command(ctx, *req, req->request_id(), out,
                 [&](const Call& call, Done done) { commands_->Amend(call, *req, std::move(done)); });
}

ReferralService::Reactor* ReferralService::Acknowledge(Ctx* ctx, const fv1::AcknowledgeReferralRequest* req,
                                                       fv1::ReferralReply* out) {
  return Act(ctx, *req, out, dref::Acknowledge);
}

ReferralService::Reactor* ReferralService::Accept(Ctx* ctx, const fv1::AcceptReferralRequest* req,
                                                  fv1::ReferralReply* out) {
  return Act(ctx, *req, out, dref::Accept);
}

ReferralService::Reactor* ReferralService::AssignOwner(Ctx* ctx, const fv1::AssignOwnerRequest* req,
                                                       fv1::ReferralReply* out) {
  return Act(ctx, *req, out, [&](const ReferralState& r, dref::Side side, absl::Time now) {
    return dref::AssignOwner(r, side, req->owner(), req->note(), now);
  });
}

ReferralService::Reactor* ReferralService::Reject(Ctx* ctx, const fv1::RejectReferralRequest* req,
                                                  fv1::ReferralReply* out) {
  return Act(ctx, *req, out, [&](const ReferralState& r, dref::Side side, absl::Time now) {
    return dref::Reject(r, side, req->reason_code(), req->advice(), now);
  });
}

ReferralService::Reactor* ReferralService::RequestInformation(Ctx* ctx, const fv1::RequestInformationRequest* req,
                                                              fv1::ReferralReply* out) {
  return Act(ctx, *req, out, [&](const ReferralState& r, dref::Side side, absl::Time now) {
    return dref::RequestInformation(r, side, req->question(), now);
  });
}

ReferralService::Reactor* ReferralService::SupplyInformation(Ctx* ctx, const fv1::SupplyInformationRequest* req,
                                                             fv1::ReferralReply* out) {
  const std::vector<fv1::ExamResultRef> results(req->exam_results().begin(), req->exam_results().end());
  return Act(ctx, *req, out, [&](const ReferralState& r, dref::Side side, absl::Time now) {
    return dref::SupplyInformation(r, side, req->answer(), results, now);
  });
}

ReferralService::Reactor* ReferralService::Schedule(Ctx* ctx, const fv1::ScheduleReferralRequest* req,
                                                    fv1::ReferralReply* out) {
  return Command(ctx, *req, req->request_id(), out,
                 [&](const Call& call, Done done) { commands_->Schedule(call, *req, std::move(done)); });
}

ReferralService::Reactor* ReferralService::Reschedule(Ctx* ctx, const fv1::RescheduleReferralRequest* req,
                                                      fv1::ReferralReply* out) {
  return Command(ctx, *req, req->request_id(), out,
                 [&](const Call& call, Done done) { commands_->Reschedule(call, *req, std::move(done)); });
}

ReferralService::Reactor* ReferralService::RecordArrival(Ctx* ctx, const fv1::RecordArrivalRequest* req,
                                                         fv1::ReferralReply* out) {
  std::optional<absl::Time> arrived_at;
  if (req->has_arrived_at()) {
    auto at = common::FromTimestamp(req->arrived_at(), "arrived_at");
    if (!at.ok()) return host::Finish(ctx, at.status());
    arrived_at = *at;
  }
  return Act(ctx, *req, out, [&](const ReferralState& r, dref::Side side, absl::Time now) {
    return dref::RecordArrival(r, side, arrived_at, now);
  });
}

ReferralService::Reactor* ReferralService::Hold(Ctx* ctx, const fv1::HoldReferralRequest* req,
                                                fv1::ReferralReply* out) {
  return Act(ctx, *req, out, [&](const ReferralState& r, dref::Side side, absl::Time now) {
    return dref::Hold(r, side, req->reason(), now);
  });
}

ReferralService::Reactor* ReferralService::Resume(Ctx* ctx, const fv1::ResumeReferralRequest* req,
                                                  fv1::ReferralReply* out) {
  return Act(ctx, *req, out, dref::Resume);
}

ReferralService::Reactor* ReferralService::Fail(Ctx* ctx, const fv1::FailReferralRequest* req,
                                                fv1::ReferralReply* out) {
  return Act(ctx, *req, out, [&](const ReferralState& r, dref::Side side, absl::Time now) {
    return dref::Fail(r, side, req->reason(), req->note(), now);
  });
}

ReferralService::Reactor* ReferralService::Complete(Ctx* ctx, const fv1::CompleteReferralRequest* req,
                                                    fv1::ReferralReply* out) {
  return Command(ctx, *req, req->request_id(), out,
                 [&](const Call& call, Done done) { commands_->Complete(call, *req, std::move(done)); });
}

ReferralService::Reactor* ReferralService::Cancel(Ctx* ctx, const fv1::CancelReferralRequest* req,
                                                  fv1::ReferralReply* out) {
  return Command(ctx, *req, req->request_id(), out,
                 [&](const Call& call, Done done) { commands_->Cancel(call, *req, std::move(done)); });
}

ReferralService::Reactor* ReferralService::Redirect(Ctx* ctx, const fv1::RedirectReferralRequest* req,
                                                    fv1::ReferralReply* out) {
  return Command(ctx, *req, req->request_id(), out,
                 [&](const Call& call, Done done) { commands_->Redirect(call, *req, std::move(done)); });
}

ReferralService::Reactor* ReferralService::MarkEnteredInError(Ctx* ctx, const fv1::MarkEnteredInErrorRequest* req,
                                                              fv1::ReferralReply* out) {
  return Command(ctx, *req, req->request_id(), out,
                 [&](const Call& call, Done done) { commands_->MarkEnteredInError(call, *req, std::move(done)); });
}

namespace {
std::vector<std::string> ShownInReferral(const fv1::GetReferralResponse& r) {
  return {command::RevealRecorder::Shown(r.referral().referral().patient(), r.referral().identity())};
}
std::vector<std::string> ShownInWorklist(const fv1::ListWorklistResponse& r) {
  std::vector<std::string> shown;
  for (const auto& item : r.referrals())
    shown.push_back(command::RevealRecorder::Shown(item.referral().patient(), item.identity()));
  return shown;
}
}  // namespace

template <typename Reply>
ReferralService::Reactor* ReferralService::Revealing(Ctx* ctx, const common::Principal& who, const char* rpc,
                                                     absl::StatusOr<Reply> result, Reply* out,
                                                     std::vector<std::string> (*shown)(const Reply&)) {
  if (!result.ok()) return host::Finish(ctx, result.status());
  auto patients = shown(*result);
  *out = *std::move(result);
  auto* reactor = ctx->DefaultReactor();
  reveals_->Record(who, host::CorrelationId(*ctx), rpc, std::move(patients),
                   [reactor](absl::Status s) { reactor->Finish(host::ToGrpcStatus(s)); });
  return reactor;
}

ReferralService::Reactor* ReferralService::GetReferral(Ctx* ctx, const fv1::GetReferralRequest* req,
                                                       fv1::GetReferralResponse* out) {
  auto who = Caller(*ctx);
  if (!who.ok()) return host::Finish(ctx, who.status());
  return Revealing(ctx, *who, "GetReferral", queries_->Get(*who, req->referral_id(), req->with_versions()), out,
                   ShownInReferral);
}

ReferralService::Reactor* ReferralService::ListIncoming(Ctx* ctx, const fv1::ListWorklistRequest* req,
                                                        fv1::ListWorklistResponse* out) {
  auto who = Caller(*ctx);
  if (!who.ok()) return host::Finish(ctx, who.status());
  return Revealing(ctx, *who, "ListIncoming", queries_->Worklist(*who, *req, "in"), out, ShownInWorklist);
}

ReferralService::Reactor* ReferralService::ListOutgoing(Ctx* ctx, const fv1::ListWorklistRequest* req,
                                                        fv1::ListWorklistResponse* out) {
  auto who = Caller(*ctx);
  if (!who.ok()) return host::Finish(ctx, who.status());
  return Revealing(ctx, *who, "ListOutgoing", queries_->Worklist(*who, *req, "out"), out, ShownInWorklist);
}

grpc::ServerWriteReactor<fv1::WorklistChange>* ReferralService::WatchWorklist(Ctx* ctx,
                                                                              const fv1::WatchWorklistRequest* req) {
  auto who = Caller(*ctx);
  const absl::Time deadline = host::CallDeadline(*ctx);
  return host::StreamThread<fv1::WorklistChange>::Start(
      &open_watches_, kMaxWatches,
      [this, who = std::move(who), req = *req, deadline](auto cancelled, auto write) -> absl::Status {
        if (!who.ok()) return who.status();
        return watcher_->Watch(*who, req, deadline, cancelled, write);
      });
}

ReferralService::Reactor* ReferralService::ListEscalated(Ctx* ctx, const fv1::ListEscalatedRequest* req,
                                                         fv1::ListWorklistResponse* out) {
  auto who = Caller(*ctx);
  if (!who.ok()) return host::Finish(ctx, who.status());
  return Revealing(ctx, *who, "ListEscalated", queries_->Escalated(*who, *req), out, ShownInWorklist);
}

ReferralService::Reactor* ReferralService::ListPatientReferrals(Ctx* ctx, const fv1::ListPatientReferralsRequest* req,
                                                                fv1::ListWorklistResponse* out) {
  auto who = Caller(*ctx);
  if (!who.ok()) return host::Finish(ctx, who.status());
  return Revealing(ctx, *who, "ListPatientReferrals", queries_->Patient(*who, *req), out, ShownInWorklist);
}

ReferralService::Reactor* ReferralService::ListAvailableSlots(Ctx* ctx, const fv1::ListAvailableSlotsRequest* req,
                                                              fv1::ListAvailableSlotsResponse* out) {
  auto who = Caller(*ctx);
  if (!who.ok()) return host::Finish(ctx, who.status());
  return host::Finish(ctx, queries_->Slots(*who, *req), out);
}

}  // namespace yilian::referral
