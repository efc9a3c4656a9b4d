#pragma once
// Structured logging on spdlog. One line per record:
//   2026-11-23T10:00:00.123456Z info referral: appended events count=3 first_seq=41
// Records carry key=value fields so they can be grepped and parsed; never put a patient's
// identifying data in a log line (log the pseudonymous reference only).
//
// InitLogging is called once from main before any thread starts; Logger() is thread-safe.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "spdlog/spdlog.h"

namespace yilian::common {

struct LogOptions {
  std::string service = "yilian";
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  std::string file;            // empty: stderr only; otherwise also appended to this file
};

// INVALID_ARGUMENT for an unknown level or a file that cannot be opened.
absl::Status InitLogging(const LogOptions& options);

// The process logger (a stderr logger named "yilian" until InitLogging is called).
spdlog::logger& Logger();

}  // namespace yilian::common
