#pragma once
// google.protobuf.Timestamp <-> absl::Time, for the instants callers give in API messages.

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace yilian::common {

// INVALID_ARGUMENT naming `field` when the Timestamp is out of its range (years 1..9999,
// nanos 0..999,999,999).
absl::StatusOr<absl::Time> FromTimestamp(const google::protobuf::Timestamp& t, const std::string& field);
google::protobuf::Timestamp ToTimestamp(absl::Time t);

}  // namespace yilian::common
