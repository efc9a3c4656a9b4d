#include "yilian/command/call.h"

#include "absl/strings/str_cat.h"
#include "yilian/common/problem.h"
#include "yilian/common/strings.h"
#include "yilian/eventstore/journal.h"

namespace yilian::command {

absl::StatusOr<Call> CallOf(std::string_view service, common::Principal who, std::string correlation_id,
                            const google::protobuf::Message& request, std::string_view request_id, RequestId need) {
  if (request_id.size() > kMaxRequestIdLength)
    return absl::InvalidArgumentError(
        absl::StrCat("request_id (the idempotency key) is ", request_id.size(), " characters; at most 128"));
  if (request_id.empty() && need == RequestId::kRequired)
    return absl::InvalidArgumentError("request_id (the idempotency key) is required, 1..128 characters");
  Call call;
  if (!request_id.empty()) {
    const std::string nul(1, '\0');
    call.idempotency_key = absl::StrCat(common::Sv(service), "/", who.institution_id, nul, common::RoleName(who.role),
                                        nul, who.subject, nul, common::Sv(request_id));
    call.request_hash = eventstore::RequestFingerprint(request);
  }
  call.actor = std::move(who);
  call.correlation_id = std::move(correlation_id);
  return call;
}

Call ServiceCall(std::string_view service, std::string correlation_id, std::string causation_id) {
  Call call;
  call.actor = {std::string(service), "", common::Role::ROLE_SERVICE};
  call.correlation_id = std::move(correlation_id);
  call.causation_id = std::move(causation_id);
  call.internal = true;
  return call;
}

absl::Status CheckVersion(std::string_view type, std::string_view id, int64_t version, int64_t expected) {
  if (expected < 0) return absl::InvalidArgumentError("expected_version must not be negative");
  if (expected == 0 || expected == version) return absl::OkStatus();
  if (version == 0)  // re-reading cannot help: there is nothing at any version
    return absl::NotFoundError(
        absl::StrCat("no ", common::Sv(type), " \"", common::Sv(id), "\" (expected version ", expected, ")"));
  return common::VersionConflict(
      version, absl::AbortedError(absl::StrCat(common::Sv(type), " \"", common::Sv(id), "\" is at version ", version,
                                               ", not ", expected, "; re-read and retry")));
}

}  // namespace yilian::command
