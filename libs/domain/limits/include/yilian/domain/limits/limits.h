#pragma once
// The bounds of what a caller may send, shared by every domain core. Each string and list of
// every command has one (docs/LIMITS.md is the table): over it, the command is refused with
// INVALID_ARGUMENT naming the field and the bound, before anything is decided or written. An
// error names at most a short prefix of the caller's input (Echo), however long it was.
// Pure; thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "yilian/common/v1/common.pb.h"

namespace yilian::domain::limits {

inline constexpr size_t kReference = 128;  // an id or a reference (referral, case, request, result...)
inline constexpr size_t kName = 200;       // a name or a clinician
inline constexpr size_t kReason = 500;     // a reason, an outcome, a short answer
inline constexpr size_t kText = 4000;      // a question, an answer, advice, notes
inline constexpr size_t kSummary = 8000;   // an outcome summary
inline constexpr size_t kEcho = 40;        // what an error quotes of the caller's input

// `value` quoted for an error: at most kEcho bytes (cut on a character boundary), then how
// long it really was.
std::string Echo(std::string_view value);

// A free text of at most `max` bytes (`required`: not blank).
absl::Status Text(std::string_view field, std::string_view value, size_t max, bool required = false);
// An id or reference: 1..kReference printable ASCII characters (no spaces or controls).
absl::Status Reference(std::string_view field, std::string_view value, bool required = true);
// A coded concept: system 1..256 bytes, code 1..32, display up to 256 (all UTF-8, no control
// characters); INVALID_ARGUMENT naming `field`.system / .code / .display.
absl::Status Coding(std::string_view field, const ::yilian::common::v1::Coding& coding);
// A list of at most `max` items.
absl::Status Count(std::string_view field, size_t count, size_t max);
// An instant a caller gives: a valid Timestamp, not before 1970, and within [now - past,
// now + future] (unset passes only when not `required`). The refusal names the field and the
// window. The second form takes unix milliseconds (0: unset).
absl::Status Instant(std::string_view field, const google::protobuf::Timestamp& at, absl::Time now, absl::Duration past,
                     absl::Duration future, bool required = true);
absl::Status Instant(std::string_view field, int64_t ms, absl::Time now, absl::Duration past, absl::Duration future,
                     bool required = true);

}  // namespace yilian::domain::limits
