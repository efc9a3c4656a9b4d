// The registry's write RPCs (CONSORTIUM_ADMIN only) and the checks of every caller.
#include "registry_service.h"

#include "yilian/domain/registry/access.h"
#include "yilian/host/answer.h"

namespace yilian::registry {

namespace dreg = ::yilian::domain::registry;
namespace rv1 = ::yilian::registry::v1;
using host::Answer;
using host::ToGrpcStatus;

absl::StatusOr<common::Principal> RegistryService::Read(const grpc::ServerContext& ctx) const {
  auto who = auth_->Authenticate(ctx);
  if (!who.ok()) return who.status();
  if (auto s = dreg::MayReadRegistry(*who, *view_); !s.ok()) return s;
  return who;
}

absl::StatusOr<command::Call> RegistryService::Writer(const grpc::ServerContext& ctx,
                                                      const google::protobuf::Message& req,
                                                      const std::string& request_id) const {
  auto who = auth_->Authenticate(ctx);
  if (!who.ok()) return who.status();
  if (auto s = dreg::MayChangeRegistry(*who); !s.ok()) return s;
  return command::CallOf("registry", *std::move(who), host::CorrelationId(ctx), req, request_id,
                         command::RequestId::kOptional);
}

grpc::Status RegistryService::RegisterInstitution(grpc::ServerContext* ctx, const rv1::RegisterInstitutionRequest* req,
                                                  rv1::InstitutionReply* out) {
  auto call = Writer(*ctx, *req, req->request_id());
  if (!call.ok()) return ToGrpcStatus(call.status());
  const auto& d = req->institution();
  return Answer(commands_->OnInstitution(*call, d.institution_id(), 0,
                                         [&](const auto& st) { return dreg::RegisterInstitution(st, d); }),
                out);
}

grpc::Status RegistryService::UpdateInstitution(grpc::ServerContext* ctx, const rv1::UpdateInstitutionRequest* req,
                                                rv1::InstitutionReply* out) {
  auto call = Writer(*ctx, *req, req->request_id());
  if (!call.ok()) return ToGrpcStatus(call.status());
  const auto& d = req->institution();
  return Answer(commands_->OnInstitution(*call, d.institution_id(), req->expected_version(),
                                         [&](const auto& st) { return dreg::UpdateInstitution(st, d); }),
                out);
}

grpc::Status RegistryService::SuspendInstitution(grpc::ServerContext* ctx, const rv1::SuspendInstitutionRequest* req,
                                                 rv1::InstitutionReply* out) {
  auto call = Writer(*ctx, *req, req->request_id());
  if (!call.ok()) return ToGrpcStatus(call.status());
  return Answer(commands_->OnInstitution(*call, req->institution_id(), req->expected_version(),
                                         [&](const auto& st) { return dreg::SuspendInstitution(st, req->reason()); }),
                out);
}

grpc::Status RegistryService::ReactivateInstitution(grpc::ServerContext* ctx,
                                                    const rv1::ReactivateInstitutionRequest* req,
                                                    rv1::InstitutionReply* out) {
  auto call = Writer(*ctx, *req, req->request_id());
  if (!call.ok()) return ToGrpcStatus(call.status());
  return Answer(commands_->OnInstitution(*call, req->institution_id(), req->expected_version(),
                                         [&](const auto& st) { return dreg::ReactivateInstitution(st); }),
                out);
}

grpc::Status RegistryService::FormConsortium(grpc::ServerContext* ctx, const rv1::FormConsortiumRequest* req,
                                             rv1::ConsortiumReply* out) {
  auto call = Writer(*ctx, *req, req->request_id());
  if (!call.ok()) return ToGrpcStatus(call.status());
  const auto& d = req->consortium();
  return Answer(commands_->OnConsortium(*call, d.consortium_id(), 0,
                                        [&](const auto& st) { return dreg::FormConsortium(st, d, *view_); }),
                out);
}

grpc::Status RegistryService::AddConsortiumMember(grpc::ServerContext* ctx, const rv1::ConsortiumMemberRequest* req,
                                                  rv1::ConsortiumReply* out) {
  auto call = Writer(*ctx, *req, req->request_id());
  if (!call.ok()) return ToGrpcStatus(call.status());
  return Answer(
      commands_->OnConsortium(*call, req->consortium_id(), req->expected_version(),
                              [&](const auto& st) { return dreg::AddMember(st, req->institution_id(), *view_); }),
      out);
}

grpc::Status RegistryService::RemoveConsortiumMember(grpc::ServerContext* ctx, const rv1::ConsortiumMemberRequest* req,
                                                     rv1::ConsortiumReply* out) {
  auto call = Writer(*ctx, *req, req->request_id());
  if (!call.ok()) return ToGrpcStatus(call.status());
  return Answer(commands_->OnConsortium(*call, req->consortium_id(), req->expected_version(),
                                        [&](const auto& st) { return dreg::RemoveMember(st, req->institution_id()); }),
                out);
}

grpc::Status RegistryService::DefineWard(grpc::ServerContext* ctx, const rv1::DefineWardRequest* req,
                                         rv1::WardReply* out) {
  auto call = Writer(*ctx, *req, req->request_id());
  if (!call.ok()) return ToGrpcStatus(call.status());
  const auto& d = req->ward();
  return Answer(commands_->OnWard(*call, d.institution_id(), d.ward_id(), 0,
                                  [&](const auto& st) { return dreg::DefineWard(st, d, *view_); }),
                out);
}

grpc::Status RegistryService::ChangeWardCapacity(grpc::ServerContext* ctx, const rv1::ChangeWardCapacityRequest* req,
                                                 rv1::WardReply* out) {
  auto call = Writer(*ctx, *req, req->request_id());
  if (!call.ok()) return ToGrpcStatus(call.status());
  return Answer(commands_->OnWard(*call, req->institution_id(), req->ward_id(), req->expected_version(),
                                  [&](const auto& st) {
                                    return dreg::ChangeWardCapacity(st, req->capacity(), req->emergency_reserved());
                                  }),
                out);
}

grpc::Status RegistryService::PublishExpertSession(grpc::ServerContext* ctx,
                                                   const rv1::PublishExpertSessionRequest* req,
                                                   rv1::ExpertSessionReply* out) {
  auto call = Writer(*ctx, *req, req->request_id());
  if (!call.ok()) return ToGrpcStatus(call.status());
  const auto& d = req->session();
  return Answer(commands_->OnSession(*call, d.session_id(), 0,
                                     [&](const auto& st) { return dreg::PublishExpertSession(st, d, *view_); }),
                out);
}

grpc::Status RegistryService::CancelExpertSession(grpc::ServerContext* ctx, const rv1::CancelExpertSessionRequest* req,
                                                  rv1::ExpertSessionReply* out) {
  auto call = Writer(*ctx, *req, req->request_id());
  if (!call.ok()) return ToGrpcStatus(call.status());
  return Answer(commands_->OnSession(*call, req->session_id(), req->expected_version(),
                                     [&](const auto& st) { return dreg::CancelExpertSession(st, req->reason()); }),
                out);
}

grpc::Status RegistryService::EnrolResident(grpc::ServerContext* ctx, const rv1::EnrolResidentRequest* req,
                                            rv1::ResidentReply* out) {
  auto call = Writer(*ctx, *req, req->request_id());
  if (!call.ok()) return ToGrpcStatus(call.status());
  return Answer(commands_->Enrol(*call, *req), out);
}

grpc::Status RegistryService::MoveResident(grpc::ServerContext* ctx, const rv1::MoveResidentRequest* req,
                                           rv1::ResidentReply* out) {
  auto call = Writer(*ctx, *req, req->request_id());
  if (!call.ok()) return ToGrpcStatus(call.status());
  return Answer(commands_->OnResident(*call, req->patient(), req->expected_version(),
                                      [&](const auto& st) {
                                        return dreg::MoveResident(st, req->to_institution_id(), req->team(), *view_);
                                      }),
                out);
}

grpc::Status RegistryService::EndResident(grpc::ServerContext* ctx, const rv1::EndResidentRequest* req,
                                          rv1::ResidentReply* out) {
  auto call = Writer(*ctx, *req, req->request_id());
  if (!call.ok()) return ToGrpcStatus(call.status());
  return Answer(commands_->OnResident(*call, req->patient(), req->expected_version(),
                                      [&](const auto& st) { return dreg::EndResident(st, req->reason()); }),
                out);
}

grpc::Status RegistryService::ErasePatient(grpc::ServerContext* ctx, const rv1::ErasePatientRequest* req,
                                           rv1::ErasePatientReply* out) {
  auto call = Writer(*ctx, *req, req->request_id());
  if (!call.ok()) return ToGrpcStatus(call.status());
  return Answer(commands_->Erase(*call, *req), out);
}

}  // namespace yilian::registry
