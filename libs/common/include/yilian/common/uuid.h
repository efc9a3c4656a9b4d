#pragma once
// UUIDs for event ids, correlation ids and generated aggregate ids.
// NewUuid() returns a version-7 UUID (RFC 9562: 48-bit Unix milliseconds, then random
// bits), so ids sort roughly by creation time, which keeps RocksDB keys local.
// Written here rather than taken from libuuid because libuuid has no v7 and this is
// twenty lines over Abseil's random generator. Thread-safe.

#include <string>

#include "absl/time/time.h"

namespace yilian::common {

// Canonical lowercase 8-4-4-4-12 text form.
std::string NewUuid();
std::string NewUuidAt(absl::Time now);
// True if `text` is a canonical UUID of any version.
bool IsUuid(std::string_view text);

}  // namespace yilian::common
