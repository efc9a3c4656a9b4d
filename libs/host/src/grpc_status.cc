#include "yilian/host/grpc_status.h"

#include "yilian/common/logging.h"
#include "yilian/common/problem.h"
#include "yilian/common/uuid.h"
#include "yilian/host/access_log.h"

namespace yilian::host {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // The details carry the Problem to the trailer interceptor (problem_trailer.h).
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      common::ProblemOf(status).SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

std::string CorrelationId(const grpc::ServerContextBase& ctx) {
  auto it = ctx.client_metadata().find(kCorrelationHeader);
  if (it != ctx.client_metadata().end() &&
      common::ValidCorrelationId(std::string_view(it->second.data(), it->second.size())))
    return std::string(it->second.data(), it->second.size());
  return common::NewUuid();
}

}  // namespace yilian::host
