#include "yilian/host/grpc_status.h"

#include "yilian/common/uuid.h"

namespace yilian::host {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

std::string CorrelationId(const grpc::ServerContextBase& ctx) {
  auto it = ctx.client_metadata().find("x-correlation-id");
  if (it != ctx.client_metadata().end() && !it->second.empty() && it->second.size() <= 128)
    return std::string(it->second.data(), it->second.size());
  return common::NewUuid();
}

}  // namespace yilian::host
