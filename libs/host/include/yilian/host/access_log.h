#pragma once
// The access log: one record per gRPC call as it ends, with its method, status code,
// duration and principal (subject, institution, role, as `authenticator` identifies the caller;
// "principal": "unauthenticated" when it cannot), in a LogScope carrying the call's correlation id. The id is the
// caller's `x-correlation-id` metadata when that is a valid one (common::ValidCorrelationId), else a new UUID put in
// its place, so the handler (host::CorrelationId) reads the same id; it is sent back in the reply's initial metadata so
// callers learn it.
//
// Health checks, reflection and calls refused by the rate limit are logged at debug level, calls that end in a server
// fault (INTERNAL, UNKNOWN, DATA_LOSS) at warn, every other call at info.

#include <memory>

#include "grpcpp/support/server_interceptor.h"
#include "yilian/host/authenticator.h"

namespace yilian::host {

inline constexpr char kCorrelationHeader[] = "x-correlation-id";

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> AccessLogFactory(
    const Authenticator* authenticator);  // outlives the server

}  // namespace yilian::host
