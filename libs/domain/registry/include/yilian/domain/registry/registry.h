#pragma once
// The registry's domain core in the decider shape, with no gRPC, Kafka or RocksDB: each
// command function takes the aggregate's current state (nullopt when it does not exist)
// and the command, and returns the events it produces or a precise error; Evolve folds an
// event into state. A command that would change nothing returns no events.
//
// Errors: INVALID_ARGUMENT (malformed command: says which field and why), NOT_FOUND (the
// aggregate or a referenced id does not exist), ALREADY_EXISTS (id taken, member already
// present), FAILED_PRECONDITION (valid command, wrong state: suspended, cancelled, lead
// removal, ...). Pure functions; thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "yilian/registry/v1/registry.pb.h"

namespace yilian::domain::registry {
using Events = std::vector<::yilian::registry::v1::RegistryEvent>;

// Aggregate types (the journal's aggregate_type) and ids.
inline constexpr char kInstitution[] = "institution";
inline constexpr char kConsortium[] = "consortium";
inline constexpr char kWard[] = "ward";
inline constexpr char kExpertSession[] = "expert_session";
inline constexpr char kResident[] = "resident";
inline constexpr char kPatient[] = "patient";  // only PatientErased (the registry service decides it)
std::string WardAggregateId(const std::string& institution_id, const std::string& ward_id);

// What a command may look up about other aggregates (the service's projection).
class Directory {
 public:
  virtual ~Directory() = default;
  virtual std::optional<::yilian::registry::v1::Institution> FindInstitution(const std::string& id) const = 0;
  // Consortia the institution is a member of.
  virtual std::vector<std::string> ConsortiaOf(const std::string& institution_id) const = 0;
};

// Institutions.
absl::StatusOr<Events> RegisterInstitution(const std::optional<::yilian::registry::v1::Institution>& state,
                                           const ::yilian::registry::v1::Institution& desc);
absl::StatusOr<Events> UpdateInstitution(const std::optional<::yilian::registry::v1::Institution>& state,
                                         const ::yilian::registry::v1::Institution& desc);
absl::StatusOr<Events> SuspendInstitution(const std::optional<::yilian::registry::v1::Institution>& state,
                                          const std::string& reason);
absl::StatusOr<Events> ReactivateInstitution(const std::optional<::yilian::registry::v1::Institution>& state);

// Consortia. `desc.member_ids` may list initial members besides the lead.
absl::StatusOr<Events> FormConsortium(const std::optional<::yilian::registry::v1::Consortium>& state,
                                      const ::yilian::registry::v1::Consortium& desc, const Directory& dir);
absl::StatusOr<Events> AddMember(const std::optional<::yilian::registry::v1::Consortium>& state,
                                 const std::string& institution_id, const Directory& dir);
absl::StatusOr<Events> RemoveMember(const std::optional<::yilian::registry::v1::Consortium>& state,
                                    const std::string& institution_id);

// Wards.
absl::StatusOr<Events> DefineWard(const std::optional<::yilian::registry::v1::Ward>& state,
                                  const ::yilian::registry::v1::Ward& desc, const Directory& dir);
absl::StatusOr<Events> ChangeWardCapacity(const std::optional<::yilian::registry::v1::Ward>& state, int32_t capacity,
                                          int32_t emergency_reserved);

// Expert clinic sessions.
absl::StatusOr<Events> PublishExpertSession(const std::optional<::yilian::registry::v1::ExpertSession>& state,
                                            const ::yilian::registry::v1::ExpertSession& desc, const Directory& dir);
absl::StatusOr<Events> CancelExpertSession(const std::optional<::yilian::registry::v1::ExpertSession>& state,
                                           const std::string& reason);

// Signed residents.
absl::StatusOr<Events> EnrolResident(const std::optional<::yilian::registry::v1::Resident>& state,
                                     const ::yilian::registry::v1::Resident& desc, const Directory& dir);
absl::StatusOr<Events> MoveResident(const std::optional<::yilian::registry::v1::Resident>& state,
                                    const std::string& to_institution_id, const std::string& team,
                                    const Directory& dir);
absl::StatusOr<Events> EndResident(const std::optional<::yilian::registry::v1::Resident>& state,
                                   const std::string& reason);

// Erasure (aggregate "patient", one per pseudonymous token): the service destroys the
// patient's data keys and records PatientErased. Erasing an erased patient changes nothing.
absl::StatusOr<Events> ErasePatient(const std::optional<::yilian::registry::v1::PatientErased>& state,
                                    const common::v1::PatientRef& patient, const std::string& reason, int64_t at_ms);

// Folding. An event of another aggregate type is INVALID_ARGUMENT; an event that does not
// fit the state (for example an update before registration) is FAILED_PRECONDITION, which
// for a journal written by the core means corruption.
absl::Status Evolve(std::optional<::yilian::registry::v1::Institution>& state,
                    const ::yilian::registry::v1::RegistryEvent& e);
absl::Status Evolve(std::optional<::yilian::registry::v1::Consortium>& state,
                    const ::yilian::registry::v1::RegistryEvent& e);
absl::Status Evolve(std::optional<::yilian::registry::v1::Ward>& state, const ::yilian::registry::v1::RegistryEvent& e);
absl::Status Evolve(std::optional<::yilian::registry::v1::ExpertSession>& state,
                    const ::yilian::registry::v1::RegistryEvent& e);
absl::Status Evolve(std::optional<::yilian::registry::v1::Resident>& state,
                    const ::yilian::registry::v1::RegistryEvent& e);
absl::Status Evolve(std::optional<::yilian::registry::v1::PatientErased>& state,
                    const ::yilian::registry::v1::RegistryEvent& e);

// The event's payload message (what an envelope carries) and back.
const google::protobuf::Message& Payload(const ::yilian::registry::v1::RegistryEvent& e);
// INVALID_ARGUMENT when the message is not a registry event.
absl::StatusOr<::yilian::registry::v1::RegistryEvent> FromPayload(const google::protobuf::Message& payload);

// Field checks shared with the service (and importers), exposed for their own messages.
absl::Status CheckId(const std::string& field, const std::string& value);
absl::Status CheckPatientRef(const yilian::common::v1::PatientRef& ref);
bool IsPrimaryCare(const ::yilian::registry::v1::Institution& institution);
bool HasCapability(const ::yilian::registry::v1::Institution& institution,
                   ::yilian::registry::v1::Capability capability);
// Great-circle distance in km (travel-time ranking and routing).
double DistanceKm(const ::yilian::registry::v1::Location& a, const ::yilian::registry::v1::Location& b);

}  // namespace yilian::domain::registry
