#pragma once
// google.protobuf.Timestamp <-> absl::Time and unix milliseconds. Every instant in the API and the
// events is a Timestamp; the domain cores reckon deadlines in unix milliseconds.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace yilian::common {

// INVALID_ARGUMENT naming `field` when the Timestamp is out of its range (years 1..9999,
// nanos 0..999,999,999).
absl::StatusOr<absl::Time> FromTimestamp(const google::protobuf::Timestamp& t, const std::string& field);
google::protobuf::Timestamp ToTimestamp(absl::Time t);

// Unix milliseconds of `t`; 0 for an unset (default) Timestamp. Clamped to the Timestamp range
// (years 1..9999), so no caller input can overflow the arithmetic on it.
int64_t UnixMs(const google::protobuf::Timestamp& t);
google::protobuf::Timestamp TimestampFromMs(int64_t ms);

// INVALID_ARGUMENT naming `field` when a given Timestamp is out of range (unset is fine).
absl::Status CheckTimestamp(const google::protobuf::Timestamp& t, const std::string& field);

}  // namespace yilian::common

// Sets the Timestamp `field` of `msg` from unix milliseconds `ms`, or clears it when `ms` is 0
// (an instant not (yet) known). A macro because protobuf has no generic "clear this field".
#define YILIAN_SET_MS(msg, field, ms)                                           \
  do {                                                                          \
    const int64_t yilian_ms_ = (ms);                                            \
    if (yilian_ms_ != 0)                                                        \
      *(msg).mutable_##field() = ::yilian::common::TimestampFromMs(yilian_ms_); \
    else                                                                        \
      (msg).clear_##field();                                                    \
  } while (0)

namespace yilian::common {}  // namespace yilian::common
