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

namespace rv1 = ::yilian::registry::v1;
using registry_model::RegistryProjector;
using registry_model::RegistryView;

class RegistryService final : public rv1::Registry::Service {
 public:
  RegistryService(RegistryCommands* commands, const RegistryView* view, const host::Authenticator* auth)
      : commands_(commands), view_(view), auth_(auth) {}

  grpc::Status RegisterInstitution(grpc::ServerContext*, const rv1::RegisterInstitutionRequest*, rv1::InstitutionReply*) override;
  grpc::Status UpdateInstitution(grpc::ServerContext*, const rv1::UpdateInstitutionRequest*, rv1::InstitutionReply*) override;
  grpc::Status SuspendInstitution(grpc::ServerContext*, const rv1::SuspendInstitutionRequest*, rv1::InstitutionReply*) override;
  grpc::Status ReactivateInstitution(grpc::ServerContext*, const rv1::ReactivateInstitutionRequest*, rv1::InstitutionReply*) override;
  grpc::Status GetInstitution(grpc::ServerContext*, const rv1::GetInstitutionRequest*, rv1::InstitutionReply*) override;
  grpc::Status ListInstitutions(grpc::ServerContext*, const rv1::ListInstitutionsRequest*, rv1::ListInstitutionsResponse*) override;

  grpc::Status FormConsortium(grpc::ServerContext*, const rv1::FormConsortiumRequest*, rv1::ConsortiumReply*) override;
  grpc::Status AddConsortiumMember(grpc::ServerContext*, const rv1::ConsortiumMemberRequest*, rv1::ConsortiumReply*) override;
  grpc::Status RemoveConsortiumMember(grpc::ServerContext*, const rv1::ConsortiumMemberRequest*, rv1::ConsortiumReply*) override;
  grpc::Status GetConsortium(grpc::ServerContext*, const rv1::GetConsortiumRequest*, rv1::ConsortiumReply*) override;
  grpc::Status ListConsortia(grpc::ServerContext*, const rv1::ListConsortiaRequest*, rv1::ListConsortiaResponse*) override;

  grpc::Status DefineWard(grpc::ServerContext*, const rv1::DefineWardRequest*, rv1::WardReply*) override;
  grpc::Status ChangeWardCapacity(grpc::ServerContext*, const rv1::ChangeWardCapacityRequest*, rv1::WardReply*) override;
  grpc::Status ListWards(grpc::ServerContext*, const rv1::ListWardsRequest*, rv1::ListWardsResponse*) override;

  grpc::Status PublishExpertSession(grpc::ServerContext*, const rv1::PublishExpertSessionRequest*, rv1::ExpertSessionReply*) override;
  grpc::Status CancelExpertSession(grpc::ServerContext*, const rv1::CancelExpertSessionRequest*, rv1::ExpertSessionReply*) override;
  grpc::Status ListExpertSessions(grpc::ServerContext*, const rv1::ListExpertSessionsRequest*, rv1::ListExpertSessionsResponse*) override;

  grpc::Status EnrolResident(grpc::ServerContext*, const rv1::EnrolResidentRequest*, rv1::ResidentReply*) override;
  grpc::Status MoveResident(grpc::ServerContext*, const rv1::MoveResidentRequest*, rv1::ResidentReply*) override;
  grpc::Status EndResident(grpc::ServerContext*, const rv1::EndResidentRequest*, rv1::ResidentReply*) override;
  grpc::Status GetResident(grpc::ServerContext*, const rv1::GetResidentRequest*, rv1::ResidentReply*) override;
  grpc::Status ErasePatient(grpc::ServerContext*, const rv1::ErasePatientRequest*, rv1::ErasePatientReply*) override;

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
