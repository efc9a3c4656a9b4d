#pragma once
// Who asks for a command, and the idempotency of the asking. Every service builds its calls
// here, so an idempotency key and its request check are made one way everywhere.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "yilian/common/principal.h"

namespace yilian::command {

inline constexpr size_t kMaxRequestIdLength = 128;

struct Call {
  common::Principal actor;
  std::string correlation_id;
  std::string idempotency_key;  // "" = none: every call is new
  std::string request_hash;     // with a key: RequestFingerprint of the request
  std::string causation_id;     // what caused the call (an event id, a timer), for the envelopes
  // Made by the service itself (ServiceCall), never by a caller over the network, whatever its
  // principal's name: only such a call may skip the callers' access rules.
  bool internal = false;
};

enum class RequestId { kOptional, kRequired };

// The call of `who` sending `request` with its `request_id`. Its idempotency key is
// "<service>/<institution>" NUL "<role>" NUL "<subject>" NUL "<request_id>": a NUL cannot
// occur in a principal's fields, so two principals' keys never collide (the same subject name
// at another institution, or in another role, is another principal), and one principal's
// retries find their first answer. INVALID_ARGUMENT when
// the request_id is longer than 128 characters, or empty where it is required.
absl::StatusOr<Call> CallOf(std::string_view service, common::Principal who, std::string correlation_id,
                            const google::protobuf::Message& request, std::string_view request_id, RequestId need);

// A call a service makes itself (its timers, its answers to the bus): no idempotency key.
Call ServiceCall(std::string_view service, std::string correlation_id, std::string causation_id);

// The aggregate's version checked against the caller's `expected` (0: any): ABORTED
// "<type> "<id>" is at version N, not M; re-read and retry" when they differ, NOT_FOUND when
// the aggregate does not exist (version 0) though a version was expected, INVALID_ARGUMENT
// when `expected` is negative.
absl::Status CheckVersion(std::string_view type, std::string_view id, int64_t version, int64_t expected);

}  // namespace yilian::command
