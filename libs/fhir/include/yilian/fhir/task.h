#pragma once
// A referral as FHIR R4 resources (docs/FHIR.md has the table): the Task (the workflow: status,
// businessStatus, requester, owner, deadlines, inputs and outputs) and the ServiceRequest it is
// about (what is asked: direction, service kind, reason and coded diagnoses, priority). And the
// other way: the Task a hospital POSTs (with its ServiceRequest contained) as the submission it
// asks for. Pure functions; thread-safe.

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "yilian/referral/v1/referral_service.pb.h"

namespace yilian::fhir {

// RFC 3339 in UTC ("2026-12-08T02:00:00Z", milliseconds when there are any).
std::string Instant(const google::protobuf::Timestamp& t);
// An RFC 3339 date-time with its zone; INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<google::protobuf::Timestamp> ParseInstant(const std::string& text, const std::string& field);

// The Task of `reply` (its version as meta.versionId; the focus the ServiceRequest of the same id).
// `last_updated`, when set, is meta.lastUpdated.
nlohmann::json TaskOf(const referral::v1::ReferralReply& reply, const google::protobuf::Timestamp& last_updated = {});
nlohmann::json ServiceRequestOf(const referral::v1::ReferralReply& reply);

// The submission a created Task asks for. The Task: status "requested" (or "draft" to save it
// unsent), intent "order", priority, `for` (the patient's pseudonymous identifier), `owner`
// (Organization/<receiver>), `focus` "#<id>" of a contained ServiceRequest with the category
// (direction), code (service kind), reasonCode (the reason's text; codings as diagnoses) and
// note; the request id from `request_id` (If-None-Exist) or the Task's urn:yilian:request
// identifier (empty when neither gives one). Unknown elements are refused naming them.
absl::StatusOr<referral::v1::SubmitReferralRequest> SubmitOf(const nlohmann::json& task, const std::string& request_id);

}  // namespace yilian::fhir
