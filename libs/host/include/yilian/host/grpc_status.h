#pragma once
// absl::Status <-> grpc::Status at the gRPC edge. The codes are numerically identical;
// the message is kept, and the status's Problem (common/problem.h) rides in the details to
// the host's trailer interceptor (problem_trailer.h). Services convert only in their *_service.cc adapters.

#include <string>

#include "absl/status/status.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace yilian::host {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// The call's correlation id: the caller's `x-correlation-id` metadata when valid
// (common::ValidCorrelationId), else the id the access log gave the call (a new UUID when the
// host runs without it). It follows one business flow across services in every envelope.
std::string CorrelationId(const grpc::ServerContextBase& ctx);

}  // namespace yilian::host
