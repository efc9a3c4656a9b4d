#pragma once
// Errors as FHIR answers them: an OperationOutcome with the HTTP status for the gRPC code a
// service gave (or the gateway's own refusal). Never an HTML page or a bare string.
//
//   INVALID_ARGUMENT 400 invalid · UNAUTHENTICATED 401 login · PERMISSION_DENIED 403 forbidden ·
//   NOT_FOUND 404 not-found · ALREADY_EXISTS 409 duplicate · ABORTED 412 conflict (a stale
//   If-Match) · FAILED_PRECONDITION 422 business-rule (the state machine; the allowed actions
//   listed) · RESOURCE_EXHAUSTED 429 throttled · UNAVAILABLE 503 transient · DEADLINE_EXCEEDED
//   504 timeout · anything else 500 exception.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "yilian/common/v1/common.pb.h"

namespace yilian::fhir {

struct Failure {
  absl::StatusCode code = absl::StatusCode::kUnknown;
  std::string message;
  std::string field;                         // the offending element or request field, if known
  std::vector<std::string> allowed_actions;  // a wrong-state refusal: what the state allows
  int64_t current_version = 0;               // a version conflict: where the resource is
  bool wrong_state = false;                  // the state machine refused (allowed_actions says what fits)
};

int HttpStatusOf(absl::StatusCode code);
// The FHIR issue-type code for `code` ("invalid", "business-rule", ...).
std::string IssueCodeOf(absl::StatusCode code);
nlohmann::json OperationOutcome(const Failure& failure);

// A refusal as the status and its Problem (common/problem.h; from a service's trailer, or the
// gateway's own marks) tell it.
Failure FailureOf(absl::StatusCode code, std::string message, const common::v1::Problem& problem);
Failure FailureOf(const absl::Status& status);

}  // namespace yilian::fhir
