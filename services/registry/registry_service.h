#pragma once
// The registry's gRPC adapter (yilian.registry.v1.Registry): authenticates, loads the
// aggregate's row, asks the domain core, and appends the events to the journal with the
// row's version as the expected version (ABORTED on a concurrent change) and the caller's
// request_id as idempotency key (a retry gets the first answer). Reads come from the view.
//
// Thread-safe (sync gRPC service over a thread-safe journal and view). Borrows all parts.

#include "yilian/registry_model/registry_model.h"
#include "yilian/eventstore/journal.h"
#include "yilian/host/authenticator.h"
#include "yilian/privacy/key_vault.h"
#include "yilian/registry/v1/registry.grpc.pb.h"

namespace yilian::registry {

namespace rv1 = ::yilian::registry::v1;
using registry_model::RegistryProjector;
using registry_model::RegistryView;

class RegistryService final : public rv1::Registry::Service {
 public:
  // `vault` holds the patients' data keys (identity of residents, erasure); without one,
  // identity in a request is refused (FAILED_PRECONDITION) and ErasePatient too.
  RegistryService(eventstore::Journal* journal, const RegistryView* view, const host::Authenticator* auth,
                  privacy::KeyVault* vault = nullptr)
      : journal_(journal), view_(view), auth_(auth), vault_(vault) {}

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
  struct Target {
    const char* type;       // aggregate type
    std::string id;         // aggregate id
    int64_t expected_version;
    const std::string* request_id;
    absl::Status valid;     // the request's own id checks, reported after authentication
  };
  template <typename Reply, typename State>
  grpc::Status Command(grpc::ServerContext* ctx, const google::protobuf::Message& request, const Target& target,
                       absl::StatusOr<std::optional<Reply>> row, State* (Reply::*field)(),
                       const std::function<absl::StatusOr<domain::registry::Events>(const std::optional<State>&)>& decide,
                       Reply* out);
  template <typename State>
  using Decide = std::function<absl::StatusOr<domain::registry::Events>(const std::optional<State>&)>;
  // One per aggregate type: the row to load and the id checks, then Command.
  grpc::Status OnInstitution(grpc::ServerContext* ctx, const google::protobuf::Message& req, const std::string& id,
                             int64_t expected, const std::string& request_id, const Decide<rv1::Institution>& decide,
                             rv1::InstitutionReply* out);
  grpc::Status OnConsortium(grpc::ServerContext* ctx, const google::protobuf::Message& req, const std::string& id,
                            int64_t expected, const std::string& request_id, const Decide<rv1::Consortium>& decide,
                            rv1::ConsortiumReply* out);
  grpc::Status OnWard(grpc::ServerContext* ctx, const google::protobuf::Message& req, const std::string& institution_id,
                      const std::string& ward_id, int64_t expected, const std::string& request_id,
                      const Decide<rv1::Ward>& decide, rv1::WardReply* out);
  grpc::Status OnSession(grpc::ServerContext* ctx, const google::protobuf::Message& req, const std::string& id,
                         int64_t expected, const std::string& request_id, const Decide<rv1::ExpertSession>& decide,
                         rv1::ExpertSessionReply* out);
  grpc::Status OnResident(grpc::ServerContext* ctx, const google::protobuf::Message& req,
                          const common::v1::PatientRef& patient, int64_t expected, const std::string& request_id,
                          const Decide<rv1::Resident>& decide, rv1::ResidentReply* out);
  absl::StatusOr<common::Principal> Read(const grpc::ServerContext& ctx) const;
  // Fills the reply's identity view: shown to CONSORTIUM_ADMIN and to the clinicians and
  // referral office of the resident's family-doctor institution; withheld from the rest.
  void ShowIdentity(const common::Principal& who, rv1::ResidentReply& reply) const;

  eventstore::Journal* journal_;
  const RegistryView* view_;
  const host::Authenticator* auth_;
  privacy::KeyVault* vault_;
};

}  // namespace yilian::registry
