#include "yilian/fhir/outcome.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "yilian/common/problem.h"

namespace yilian::fhir {

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kAborted:
      return 412;
    case absl::StatusCode::kFailedPrecondition:
      return 422;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

std::string IssueCodeOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return "invalid";
    case absl::StatusCode::kUnauthenticated:
      return "login";
    case absl::StatusCode::kPermissionDenied:
      return "forbidden";
    case absl::StatusCode::kNotFound:
      return "not-found";
    case absl::StatusCode::kAlreadyExists:
      return "duplicate";
    case absl::StatusCode::kAborted:
      return "conflict";
    case absl::StatusCode::kFailedPrecondition:
      return "business-rule";
    case absl::StatusCode::kResourceExhausted:
      return "throttled";
    case absl::StatusCode::kUnimplemented:
      return "not-supported";
    case absl::StatusCode::kUnavailable:
      return "transient";
    case absl::StatusCode::kDeadlineExceeded:
      return "timeout";
    default:
      return "exception";
  }
}

nlohmann::json OperationOutcome(const Failure& f) {
  std::string diagnostics = f.message;
  if (f.wrong_state && !absl::StrContains(diagnostics, "allowed now"))  // the services say it already
    absl::StrAppend(&diagnostics, diagnostics.empty() ? "" : "; ",
                    "allowed now: ", f.allowed_actions.empty() ? "nothing" : absl::StrJoin(f.allowed_actions, ", "));
  if (f.code == absl::StatusCode::kAborted && f.current_version > 0)
    absl::StrAppend(&diagnostics, diagnostics.empty() ? "" : "; ", "current version ", f.current_version);
  nlohmann::json issue = {{"severity", "error"}, {"code", IssueCodeOf(f.code)}, {"diagnostics", diagnostics}};
  if (!f.field.empty()) issue["expression"] = nlohmann::json::array({f.field});
  return {{"resourceType", "OperationOutcome"}, {"issue", nlohmann::json::array({issue})}};
}

Failure FailureOf(absl::StatusCode code, std::string message, const common::v1::Problem& problem) {
  Failure f;
  f.code = code;
  f.message = std::move(message);
  f.field = problem.field();
  f.allowed_actions.assign(problem.allowed_actions().begin(), problem.allowed_actions().end());
  f.current_version = problem.current_version();
  f.wrong_state = problem.type() == "wrong-state";
  return f;
}

Failure FailureOf(const absl::Status& status) {
  return FailureOf(status.code(), std::string(status.message()), common::ProblemOf(status));
}

}  // namespace yilian::fhir
