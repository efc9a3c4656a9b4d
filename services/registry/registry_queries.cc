// The registry's read RPCs (any principal of a member institution; see RegistryService::Read).
#include "registry_service.h"
#include "yilian/host/answer.h"

namespace yilian::registry {

namespace dreg = ::yilian::domain::registry;
namespace rv1 = ::yilian::registry::v1;
using host::Answer;
using host::ToGrpcStatus;

namespace {

// A point read's row, or NOT_FOUND naming what was missing.
template <typename Reply>
absl::StatusOr<Reply> Found(absl::StatusOr<std::optional<Reply>> row, const std::string& what) {
  if (!row.ok()) return row.status();
  if (!*row) return absl::NotFoundError(absl::StrCat(what, " does not exist"));
  return **std::move(row);
}

}  // namespace

grpc::Status RegistryService::GetInstitution(grpc::ServerContext* ctx, const rv1::GetInstitutionRequest* req,
                                             rv1::InstitutionReply* out) {
  if (auto who = Read(*ctx); !who.ok()) return ToGrpcStatus(who.status());
  if (auto s = dreg::CheckId("institution_id", req->institution_id()); !s.ok()) return ToGrpcStatus(s);
  return Answer(
      Found(view_->Institution(req->institution_id()), absl::StrCat("institution \"", req->institution_id(), "\"")),
      out);
}

grpc::Status RegistryService::ListInstitutions(grpc::ServerContext* ctx, const rv1::ListInstitutionsRequest* req,
                                               rv1::ListInstitutionsResponse* out) {
  if (auto who = Read(*ctx); !who.ok()) return ToGrpcStatus(who.status());
  return Answer(view_->ListInstitutions(*req), out);
}

grpc::Status RegistryService::GetConsortium(grpc::ServerContext* ctx, const rv1::GetConsortiumRequest* req,
                                            rv1::ConsortiumReply* out) {
  if (auto who = Read(*ctx); !who.ok()) return ToGrpcStatus(who.status());
  if (auto s = dreg::CheckId("consortium_id", req->consortium_id()); !s.ok()) return ToGrpcStatus(s);
  return Answer(
      Found(view_->Consortium(req->consortium_id()), absl::StrCat("consortium \"", req->consortium_id(), "\"")), out);
}

grpc::Status RegistryService::ListConsortia(grpc::ServerContext* ctx, const rv1::ListConsortiaRequest* req,
                                            rv1::ListConsortiaResponse* out) {
  if (auto who = Read(*ctx); !who.ok()) return ToGrpcStatus(who.status());
  return Answer(view_->ListConsortia(*req), out);
}

grpc::Status RegistryService::ListWards(grpc::ServerContext* ctx, const rv1::ListWardsRequest* req,
                                        rv1::ListWardsResponse* out) {
  if (auto who = Read(*ctx); !who.ok()) return ToGrpcStatus(who.status());
  return Answer(view_->ListWards(*req), out);
}

grpc::Status RegistryService::ListExpertSessions(grpc::ServerContext* ctx, const rv1::ListExpertSessionsRequest* req,
                                                 rv1::ListExpertSessionsResponse* out) {
  if (auto who = Read(*ctx); !who.ok()) return ToGrpcStatus(who.status());
  return Answer(view_->ListSessions(*req), out);
}

grpc::Status RegistryService::GetResident(grpc::ServerContext* ctx, const rv1::GetResidentRequest* req,
                                          rv1::ResidentReply* out) {
  auto who = Read(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (auto s = dreg::CheckPatientRef(req->patient()); !s.ok()) return ToGrpcStatus(s);
  auto status = Answer(Found(view_->Resident(req->patient().value()), "resident"), out);
  if (!status.ok()) return status;
  commands_->ShowIdentity(*who, *out);
  auto recorded =
      commands_->reveals().RecordAndWait(*who, host::CorrelationId(*ctx), "GetResident",
                                         {command::RevealRecorder::Shown(out->resident().patient(), out->identity())});
  if (!recorded.ok()) {  // a reveal not on record is not shown
    out->Clear();
    return ToGrpcStatus(recorded);
  }
  return grpc::Status::OK;
}

}  // namespace yilian::registry
