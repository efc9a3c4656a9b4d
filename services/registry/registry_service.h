#pragma once
// The registry's gRPC adapter (yilian.registry.v1.Registry): authenticates (writes need a
// CONSORTIUM_ADMIN, reads a member of the consortia: docs/ROLES.md), turns a write into a
// command::Call (the caller's request_id as idempotency key) for RegistryCommands, and answers
// reads from the view.
//
// Thread-safe (a sync gRPC service over thread-safe parts). Borrows all parts.

#include "registry_commands.h"
#include "yilian/host/authenticator.h"
#include "yilian/registry/v1/registry.grpc.pb.h"

namespace yilian::registry {
using registry_model::RegistryProjector;
using registry_model::RegistryView;

class RegistryService final : public v1::Registry::Service {
 public:
  RegistryService(RegistryCommands* commands, const RegistryView* view, const host::Authenticator* auth)
      : commands_(commands), view_(view), auth_(auth) {}

  grpc::Status RegisterInstitution(grpc::ServerContext*, const v1::RegisterInstitutionRequest*,
                                   v1::InstitutionReply*) override;
  grpc::Status UpdateInstitution(grpc::ServerContext*, const v1::UpdateInstitutionRequest*,
                                 v1::InstitutionReply*) override;
  grpc::Status SuspendInstitution(grpc::ServerContext*, const v1::SuspendInstitutionRequest*,
                                  v1::InstitutionReply*) override;
  grpc::Status ReactivateInstitution(grpc::ServerContext*, const v1::ReactivateInstitutionRequest*,
                                     v1::InstitutionReply*) override;
  grpc::Status GetInstitution(grpc::ServerContext*, const v1::GetInstitutionRequest*, v1::InstitutionReply*) override;
  grpc::Status ListInstitutions(grpc::ServerContext*, const v1::ListInstitutionsRequest*,
                                v1::ListInstitutionsResponse*) override;

  grpc::Status FormConsortium(grpc::ServerContext*, const v1::FormConsortiumRequest*, v1::ConsortiumReply*) override;
  grpc::Status AddConsortiumMember(grpc::ServerContext*, const v1::ConsortiumMemberRequest*,
                                   v1::ConsortiumReply*) override;
  grpc::Status RemoveConsortiumMember(grpc::ServerContext*, const v1::ConsortiumMemberRequest*,
                                      v1::ConsortiumReply*) override;
  grpc::Status GetConsortium(grpc::ServerContext*, const v1::GetConsortiumRequest*, v1::ConsortiumReply*) override;
  grpc::Status ListConsortia(grpc::ServerContext*, const v1::ListConsortiaRequest*,
                             v1::ListConsortiaResponse*) override;

  grpc::Status DefineWard(grpc::ServerContext*, const v1::DefineWardRequest*, v1::WardReply*) override;
  grpc::Status ChangeWardCapacity(grpc::ServerContext*, const v1::ChangeWardCapacityRequest*, v1::WardReply*) override;
  grpc::Status ListWards(grpc::ServerContext*, const v1::ListWardsRequest*, v1::ListWardsResponse*) override;

  grpc::Status PublishExpertSession(grpc::ServerContext*, const v1::PublishExpertSessionRequest*,
                                    v1::ExpertSessionReply*) override;
  grpc::Status CancelExpertSession(grpc::ServerContext*, const v1::CancelExpertSessionRequest*,
                                   v1::ExpertSessionReply*) override;
  grpc::Status ListExpertSessions(grpc::ServerContext*, const v1::ListExpertSessionsRequest*,
                                  v1::ListExpertSessionsResponse*) override;

  grpc::Status EnrolResident(grpc::ServerContext*, const v1::EnrolResidentRequest*, v1::ResidentReply*) override;
  grpc::Status MoveResident(grpc::ServerContext*, const v1::MoveResidentRequest*, v1::ResidentReply*) override;
  grpc::Status EndResident(grpc::ServerContext*, const v1::EndResidentRequest*, v1::ResidentReply*) override;
  grpc::Status GetResident(grpc::ServerContext*, const v1::GetResidentRequest*, v1::ResidentReply*) override;
  grpc::Status ErasePatient(grpc::ServerContext*, const v1::ErasePatientRequest*, v1::ErasePatientReply*) override;

 private:
  // The caller, if it may change the registry, and its call (request_id optional).
  absl::StatusOr<command::Call> Writer(const grpc::ServerContext& ctx, const google::protobuf::Message& req,
                                       const std::string& request_id) const;
  // The caller, if it may read the registry.
  absl::StatusOr<common::Principal> Read(const grpc::ServerContext& ctx) const;

  RegistryCommands* commands_;
  const RegistryView* view_;
  const host::Authenticator* auth_;
};

}  // namespace yilian::registry
