#include "greenchannel_service.h"

#include "yilian/common/status_macros.h"
#include "yilian/domain/greenchannel/access.h"
#include "yilian/host/answer.h"
#include "yilian/host/call_deadline.h"

namespace yilian::greenchannel {

namespace dgc = ::yilian::domain::greenchannel;
namespace gv1 = ::yilian::greenchannel::v1;
using common::Principal;
using host::Answer;
using host::ToGrpcStatus;

namespace {

absl::Status MayChangeCases(const Principal& who) { return dgc::MayReachCases(who, /*read=*/false); }

}  // namespace

absl::Status GreenChannelService::Active(const Principal& who) const {
  if (who.institution_id.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(auto inst, registry_->Institution(who.institution_id));
  return dgc::NotSuspended(who, inst ? &inst->institution() : nullptr);
}

absl::StatusOr<Principal> GreenChannelService::Who(const grpc::ServerContextBase& ctx) const {
  ASSIGN_OR_RETURN(auto who, auth_->Authenticate(ctx));
  RETURN_IF_ERROR(Active(who));
  return who;
}

absl::StatusOr<command::Call> GreenChannelService::CallOf(const Ctx& ctx, const google::protobuf::Message& req,
                                                          const std::string& request_id,
                                                          absl::FunctionRef<absl::Status(const Principal&)> may) const {
  ASSIGN_OR_RETURN(auto who, Who(ctx));
  RETURN_IF_ERROR(may(who));  // the role first: a caller refused learns nothing from the request
  return command::CallOf("gc", std::move(who), host::CorrelationId(ctx), req, request_id,
                         command::RequestId::kOptional);
}

CaseCommands::Shape GreenChannelService::ShapeFor(const Principal& who) const {
  return [this, who](gv1::CaseReply& reply) { queries_->ShowIdentity(who, reply); };
}

grpc::Status GreenChannelService::OpenCase(Ctx* ctx, const gv1::OpenCaseRequest* req, gv1::CaseReply* out) {
  auto call = CallOf(*ctx, *req, req->request_id(), dgc::MayOpenCase);
  if (!call.ok()) return ToGrpcStatus(call.status());
  return Answer(cases_->Open(*call, *req, ShapeFor(call->actor)), out);
}

grpc::Status GreenChannelService::RedirectCase(Ctx* ctx, const gv1::RedirectCaseRequest* req, gv1::CaseReply* out) {
  auto call = CallOf(*ctx, *req, req->request_id(), MayChangeCases);
  if (!call.ok()) return ToGrpcStatus(call.status());
  return Answer(cases_->Redirect(*call, *req, ShapeFor(call->actor)), out);
}

grpc::Status GreenChannelService::RecordMilestone(Ctx* ctx, const gv1::RecordMilestoneRequest* req,
                                                  gv1::CaseReply* out) {
  auto call = CallOf(*ctx, *req, req->request_id(), MayChangeCases);
  if (!call.ok()) return ToGrpcStatus(call.status());
  return Answer(cases_->RecordMilestone(*call, *req, ShapeFor(call->actor)), out);
}

grpc::Status GreenChannelService::AcknowledgeCase(Ctx* ctx, const gv1::AcknowledgeCaseRequest* req,
                                                  gv1::CaseReply* out) {
  auto call = CallOf(*ctx, *req, req->request_id(), dgc::MayAcknowledgeCases);
  if (!call.ok()) return ToGrpcStatus(call.status());
  return Answer(cases_->Acknowledge(*call, *req, ShapeFor(call->actor)), out);
}

grpc::Status GreenChannelService::CloseCase(Ctx* ctx, const gv1::CloseCaseRequest* req, gv1::CaseReply* out) {
  auto call = CallOf(*ctx, *req, req->request_id(), MayChangeCases);
  if (!call.ok()) return ToGrpcStatus(call.status());
  return Answer(cases_->Close(*call, *req, ShapeFor(call->actor)), out);
}

grpc::Status GreenChannelService::Discharge(Ctx* ctx, const gv1::DischargeRequest* req, gv1::WardStatus* out) {
  auto call = CallOf(*ctx, *req, req->request_id(),
                     [&](const Principal& who) { return dgc::MayDischarge(who, req->institution_id()); });
  if (!call.ok()) return ToGrpcStatus(call.status());
  return Answer(beds_->Discharge(*call, *req), out);
}

grpc::Status GreenChannelService::GetCase(Ctx* ctx, const gv1::GetCaseRequest* req, gv1::CaseDetail* out) {
  auto who = Who(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto detail = queries_->GetCase(*who, req->case_id());
  if (detail.ok()) {
    const auto& c = detail->current();
    auto recorded =
        reveals_->RecordAndWait(*who, host::CorrelationId(*ctx), "GetCase",
                                {command::RevealRecorder::Shown(c.emergency_case().patient(), c.identity())});
    if (!recorded.ok()) return ToGrpcStatus(recorded);  // a reveal not on record is not shown
  }
  return Answer(std::move(detail), out);
}

grpc::Status GreenChannelService::ListOpenCases(Ctx* ctx, const gv1::ListOpenCasesRequest* req,
                                                gv1::ListCasesResponse* out) {
  auto who = Who(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  return Listed(*ctx, *who, "ListOpenCases", queries_->ListOpenCases(*who, *req), out);
}

grpc::Status GreenChannelService::Listed(const Ctx& ctx, const Principal& who, const char* rpc,
                                         absl::StatusOr<gv1::ListCasesResponse> list, gv1::ListCasesResponse* out) {
  if (list.ok()) {
    std::vector<std::string> shown;
    for (const auto& c : list->cases())
      shown.push_back(command::RevealRecorder::Shown(c.emergency_case().patient(), c.identity()));
    auto recorded = reveals_->RecordAndWait(who, host::CorrelationId(ctx), rpc, std::move(shown));
    if (!recorded.ok()) return ToGrpcStatus(recorded);  // a reveal not on record is not shown
  }
  return Answer(std::move(list), out);
}

grpc::Status GreenChannelService::ListInboundCases(Ctx* ctx, const gv1::ListInboundCasesRequest* req,
                                                   gv1::ListCasesResponse* out) {
  auto who = Who(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  return Listed(*ctx, *who, "ListInboundCases", inbound_->List(*who, *req), out);
}

grpc::Status GreenChannelService::WatchInboundCases(Ctx* ctx, const gv1::WatchInboundCasesRequest* req,
                                                    grpc::ServerWriter<gv1::InboundCaseChange>* writer) {
  const host::StreamSlot slot(&open_watches_, kMaxWatches);
  if (!slot.taken()) return host::StreamSlot::Refusal();
  auto who = Who(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::Status revoked;  // the caller's institution suspended while it watches: the stream ends
  auto watched = inbound_->Watch(
      *who, *req, host::CallDeadline(*ctx), [&] { return ctx->IsCancelled(); },
      [&](const gv1::InboundCaseChange& c) {
        revoked = Active(*who);
        return revoked.ok() && writer->Write(c);
      });
  return ToGrpcStatus(revoked.ok() ? watched : revoked);
}

grpc::Status GreenChannelService::GetBedBoard(Ctx* ctx, const gv1::BedBoardRequest* req, gv1::BedBoard* out) {
  auto who = Who(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto board = queries_->GetBedBoard(*req);
  if (board.ok())
    for (auto& w : *board->mutable_wards()) dgc::HideOthersHolds(*who, w);
  return Answer(std::move(board), out);
}

grpc::Status GreenChannelService::WatchBedBoard(Ctx* ctx, const gv1::BedBoardRequest* req,
                                                grpc::ServerWriter<gv1::WardStatus>* writer) {
  const host::StreamSlot slot(&open_watches_, kMaxWatches);
  if (!slot.taken()) return host::StreamSlot::Refusal();
  auto who = Who(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::Status revoked;  // the caller's institution suspended while it watches: the stream ends
  auto watched = queries_->WatchBedBoard(
      *req, host::CallDeadline(*ctx), [&] { return ctx->IsCancelled(); },
      [&](const gv1::WardStatus& w) {
        revoked = Active(*who);
        if (!revoked.ok()) return false;
        gv1::WardStatus shown = w;
        dgc::HideOthersHolds(*who, shown);
        return writer->Write(shown);
      });
  return ToGrpcStatus(revoked.ok() ? watched : revoked);
}

grpc::Status GreenChannelService::GetBedRequest(Ctx* ctx, const gv1::GetBedRequestRequest* req,
                                                gv1::BedRequestReply* out) {
  auto who = Who(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  return Answer(queries_->GetBedRequest(*who, req->request_id()), out);
}

grpc::Status GreenChannelService::GetDoorToTreatment(Ctx* ctx, const gv1::DoorToTreatmentRequest* req,
                                                     gv1::DoorToTreatmentReport* out) {
  auto who = Who(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  return Answer(queries_->DoorToTreatment(*who, *req), out);
}

}  // namespace yilian::greenchannel
