#pragma once
// Machine-readable details of an error (yilian.common.v1.Problem), carried on the absl::Status
// as a payload from where the error is made to the gRPC edge, which sends them as the
// "yilian-problem-bin" trailer (host/problem_trailer.h). Rules mark their errors here; every
// other error still gets a Problem built from its code and message (ProblemOf).
//
//   return common::InvalidField("severity", "severity 9 is not 1 (most severe) .. 5");
//
// Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "yilian/common/v1/common.pb.h"

namespace yilian::common {

inline constexpr char kProblemTrailer[] = "yilian-problem-bin";

// `status` marked field-invalid for `field`.
absl::Status FieldError(std::string_view field, absl::Status status);
// INVALID_ARGUMENT with `message`, marked field-invalid for `field`.
absl::Status InvalidField(std::string_view field, std::string_view message);
// `status` marked version-conflict, the aggregate being at `current_version`.
absl::Status VersionConflict(int64_t current_version, absl::Status status);
// `status` marked wrong-state, the current state allowing `allowed_actions`.
absl::Status WrongState(const std::vector<std::string>& allowed_actions, absl::Status status);

// The Problem of a non-OK status: its marks, with type defaulting to the code's name in lower
// case with hyphens ("not-found"), title to the code's name, detail to the message.
v1::Problem ProblemOf(const absl::Status& status);

}  // namespace yilian::common
