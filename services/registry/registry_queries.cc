// The registry's read RPCs (any principal of a member institution; see RegistryService::Read).
#include "registry_service.h"
#include "yilian/host/grpc_status.h"

namespace yilian::registry {

namespace dreg = ::yilian::domain::registry;
namespace rv1 = ::yilian::registry::v1;
using host::ToGrpcStatus;

namespace {

// Answers a point read: NOT_FOUND naming what was missing.
template <typename Reply>
grpc::Status Answer(absl::StatusOr<std::optional<Reply>> row, const std::string& what, Reply* out) {
  if (!row.ok()) return ToGrpcStatus(row.status());
  if (!*row) return ToGrpcStatus(absl::NotFoundError(absl::StrCat(what, " does not exist")));
  *out = std::move(**row);
  return grpc::Status::OK;
}

template <typename Response>
grpc::Status Answer(absl::StatusOr<Response> list, Response* out) {
  if (!list.ok()) return ToGrpcStatus(list.status());
  *out = std::move(*list);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status RegistryService::GetInstitution(grpc::ServerContext* ctx, const rv1::GetInstitutionRequest* req,
                                             rv1::InstitutionReply* out) {
  if (auto who = Read(*ctx); !who.ok()) return ToGrpcStatus(who.status());
  if (auto s = dreg::CheckId("institution_id", req->institution_id()); !s.ok()) return ToGrpcStatus(s);
  return Answer(view_->Institution(req->institution_id()), absl::StrCat("institution \"", req->institution_id(), "\""),
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
  return Answer(view_->Consortium(req->consortium_id()), absl::StrCat("consortium \"", req->consortium_id(), "\""),
                out);
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
  auto status = Answer(view_->Resident(req->patient().value()), "resident", out);
  if (status.ok()) commands_->ShowIdentity(*who, *out);
  return status;
}

}  // namespace yilian::registry
