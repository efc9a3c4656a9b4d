#pragma once
// The "yilian-problem-bin" trailer (common.proto's Problem) on every non-OK answer a host
// sends. ToGrpcStatus carries a status's Problem (common/problem.h) in the grpc::Status's
// details; this interceptor moves it into the trailer, or builds one from the code and message
// for errors made elsewhere (an authorizer's, a streaming handler's), so a client always finds
// one. The standard "grpc-status-details-bin" trailer is not used.
//
// Clients read it with ProblemOf(context) after the call ends.

#include <memory>
#include <optional>

#include "grpcpp/client_context.h"
#include "grpcpp/support/server_interceptor.h"
#include "yilian/common/v1/common.pb.h"

namespace yilian::host {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> ProblemTrailerFactory();

// The Problem a finished call's trailer carries; nullopt when there is none (an OK call, or a
// server that sends none).
std::optional<common::v1::Problem> ProblemOf(const grpc::ClientContext& ctx);

}  // namespace yilian::host
