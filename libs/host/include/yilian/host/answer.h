#pragma once
// An adapter's last step: an absl result becomes the gRPC answer. For callback services the
// call is finished now (Finish) or later, on whatever thread the answer arrives (Finisher);
// for sync services the result is moved into the reply (Answer). Thread-safe.

#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "yilian/host/grpc_status.h"

namespace yilian::host {

inline grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* ctx, const absl::Status& status) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// Finishes `reactor` with `result`, moved into `out` when OK.
template <typename T>
void FinishWith(grpc::ServerUnaryReactor* reactor, absl::StatusOr<T> result, T* out) {
  if (!result.ok()) return reactor->Finish(ToGrpcStatus(result.status()));
  *out = *std::move(result);
  reactor->Finish(grpc::Status::OK);
}

template <typename T>
grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* ctx, absl::StatusOr<T> result, T* out) {
  auto* reactor = ctx->DefaultReactor();
  FinishWith(reactor, std::move(result), out);
  return reactor;
}

// A callback finishing `reactor` with the result it is given, once.
template <typename T>
absl::AnyInvocable<void(absl::StatusOr<T>) &&> Finisher(grpc::ServerUnaryReactor* reactor, T* out) {
  return [reactor, out](absl::StatusOr<T> result) { FinishWith(reactor, std::move(result), out); };
}

template <typename T>
grpc::Status Answer(absl::StatusOr<T> result, T* out) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *out = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace yilian::host
