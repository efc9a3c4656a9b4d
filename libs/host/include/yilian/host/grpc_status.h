#pragma once
// absl::Status <-> grpc::Status at the gRPC edge. The codes are numerically identical;
// the message is kept. Services convert only in their *_service.cc adapters.

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace yilian::host {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace yilian::host
