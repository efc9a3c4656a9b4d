#pragma once
// The code systems and identifier systems the gateway's FHIR resources use, and the mapping of
// Yilian's enums onto FHIR codes (Task.priority, the Yilian code systems for direction and
// service kind). One place, so the resources and docs/FHIR.md agree.

#include <optional>
#include <string>

#include "nlohmann/json.hpp"
#include "yilian/referral/v1/referral.pb.h"

namespace yilian::fhir {

inline constexpr char kRequestSystem[] = "urn:yilian:request";             // Task.identifier: the idempotency key
inline constexpr char kReferralSystem[] = "urn:yilian:referral";           // Task.identifier: the referral id
inline constexpr char kClientRefSystem[] = "urn:yilian:client-reference";  // the sender HIS's own id
inline constexpr char kPatientSystem[] = "urn:yilian:patient";             // the pseudonymous patient reference
inline constexpr char kDirectionSystem[] = "urn:yilian:referral-direction";
inline constexpr char kServiceKindSystem[] = "urn:yilian:service-kind";
inline constexpr char kBusinessStatusSystem[] = "urn:yilian:business-status";
inline constexpr char kTaskStatusSystem[] = "http://hl7.org/fhir/task-status";

// An enum value's name as a FHIR code: lower case, '_' as '-' ("TOWNSHIP_HEALTH_CENTRE" ->
// "township-health-centre").
std::string CodeOfName(const std::string& enum_name);
// A CodeableConcept of one coding.
nlohmann::json CodeableConcept(const std::string& system, const std::string& code);

// routine, urgent, asap, stat (Task.priority / ServiceRequest.priority); nullopt for unknown.
std::string PriorityCode(referral::v1::Priority p);
std::optional<referral::v1::Priority> PriorityOf(const std::string& code);
// upward, downward.
std::string DirectionCode(referral::v1::Direction d);
std::optional<referral::v1::Direction> DirectionOf(const std::string& code);
// expert-outpatient, inpatient-bed, examination, tele-consultation.
std::string ServiceKindCode(referral::v1::ServiceKind k);
std::optional<referral::v1::ServiceKind> ServiceKindOf(const std::string& code);
// The FHIR Task.status code ("in-progress") and back.
std::string TaskStatusCode(referral::v1::Status s);
std::optional<referral::v1::Status> TaskStatusOf(const std::string& code);
// The business status code ("no-show") and back.
std::optional<referral::v1::BusinessStatus> BusinessStatusOf(const std::string& code);

}  // namespace yilian::fhir
