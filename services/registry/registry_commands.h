#pragma once
// The registry's commands: each loads its aggregate's row from the view, asks the registry
// core, and hands the decision to the command runner (one lock per aggregate, held until the
// append is durable; the caller's expected_version checked; a retry answered from its
// idempotency record). The answer is the aggregate as the command leaves it, and waits for
// the fsync: registry writes are an administrator's, rare and never on a hot path.
//
// Residents' identities are sealed with the patient's data key; without a vault, identity in
// a request is refused (FAILED_PRECONDITION) and so is ErasePatient. Thread-safe; borrows all.

#include <string>

#include "yilian/command/reveal_record.h"
#include "yilian/command/runner.h"
#include "yilian/domain/registry/registry.h"
#include "yilian/privacy/key_vault.h"
#include "yilian/registry_model/registry_model.h"

namespace yilian::registry {

class RegistryCommands {
 public:
  RegistryCommands(eventstore::Journal* journal, const registry_model::RegistryView* view, privacy::KeyVault* vault)
      : runner_(journal, {.service = "registry"}), reveals_(journal, "registry"), view_(view), vault_(vault) {}

  template <typename State>
  using Decide = absl::FunctionRef<absl::StatusOr<domain::registry::Events>(const std::optional<State>&)>;

  absl::StatusOr<v1::InstitutionReply> OnInstitution(const command::Call& call, const std::string& id,
                                                     int64_t expected_version, Decide<v1::Institution> decide);
  absl::StatusOr<v1::ConsortiumReply> OnConsortium(const command::Call& call, const std::string& id,
                                                   int64_t expected_version, Decide<v1::Consortium> decide);
  absl::StatusOr<v1::WardReply> OnWard(const command::Call& call, const std::string& institution_id,
                                       const std::string& ward_id, int64_t expected_version, Decide<v1::Ward> decide);
  absl::StatusOr<v1::ExpertSessionReply> OnSession(const command::Call& call, const std::string& id,
                                                   int64_t expected_version, Decide<v1::ExpertSession> decide);
  // Answers show the resident's identity as an administrator sees it.
  absl::StatusOr<v1::ResidentReply> OnResident(const command::Call& call, const common::v1::PatientRef& patient,
                                               int64_t expected_version, Decide<v1::Resident> decide);
  // Enrols a resident, sealing the request's identity (the rules first: a refused call makes
  // no key).
  absl::StatusOr<v1::ResidentReply> Enrol(const command::Call& call, const v1::EnrolResidentRequest& req);
  // Destroys the patient's key, then records PatientErased; erasing again answers the first
  // erasure.
  absl::StatusOr<v1::ErasePatientReply> Erase(const command::Call& call, const v1::ErasePatientRequest& req);

  // The identity a resident's reply shows to `who`.
  void ShowIdentity(const common::Principal& who, v1::ResidentReply& reply) const;

  // Who saw which resident's identity goes on record here (GetResident).
  command::RevealRecorder& reveals() { return reveals_; }

 private:
  template <typename Reply, typename State>
  absl::StatusOr<Reply> Change(const command::Call& call, const command::Kind<State, v1::RegistryEvent>& kind,
                               const std::string& id, int64_t expected_version,
                               absl::FunctionRef<absl::StatusOr<std::optional<Reply>>()> load, State* (Reply::*field)(),
                               Decide<State> decide, command::Runner::Shape<Reply> shape = nullptr);

  command::Runner runner_;
  command::RevealRecorder reveals_;
  const registry_model::RegistryView* view_;
  privacy::KeyVault* vault_;
  command::StripeLocks locks_;  // by "<aggregate type>/<id>"
};

}  // namespace yilian::registry
