#pragma once
// Structured logging on spdlog, one record per line, as JSON (the services' default) or text:
//   {"ts":"2026-11-23T10:00:00.123456Z","level":"info","service":"referral","msg":"rpc Submit OK",
//    "correlation_id":"0193...","rpc":"/yilian.referral.v1.Referrals/Submit","code":"OK","ms":"1.21"}
//   2026-11-23T10:00:00.123456Z info referral: rpc Submit OK correlation_id=0193... code=OK
// Fields come from the LogScopes open on the logging thread, so a correlation id set where a
// call or an event is taken up tags every record logged while it is handled. Never put a
// patient's identifying data in a log record or field (log the pseudonymous reference only).
//
// InitLogging is called once from main before any thread starts; Logger() is thread-safe.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "spdlog/spdlog.h"

namespace yilian::common {

struct LogOptions {
  std::string service = "yilian";
  std::string level = "info";   // trace, debug, info, warn, error, critical, off
  std::string file;             // empty: stderr only; otherwise also appended to this file
  std::string format = "text";  // text or json
  // When `file` reaches this size it is renamed with a number before its extension (svc.log
  // becomes svc.1.log, svc.1.log becomes svc.2.log, ...) and a new one starts; the oldest
  // beyond `file_keep` is removed. 0: one file that only grows.
  uint64_t file_max_bytes = 0;
  int file_keep = 5;
  bool to_stderr = true;  // false: the file only (it must then be given)
};

// INVALID_ARGUMENT for an unknown level or format, a file that cannot be opened, a file_keep
// outside 1..1000, or no destination at all.
absl::Status InitLogging(const LogOptions& options);

// The process logger (a stderr logger named "yilian" until InitLogging is called).
spdlog::logger& Logger();

using LogField = std::pair<std::string, std::string>;

// While it lives, every record logged on this thread carries these fields (after those of
// scopes opened earlier; a later field of the same name wins). Not movable: open it on the
// stack around the work it describes.
class LogScope {
 public:
  explicit LogScope(std::vector<LogField> fields);
  LogScope(std::string key, std::string value) : LogScope(std::vector<LogField>{{std::move(key), std::move(value)}}) {}
  ~LogScope();
  LogScope(const LogScope&) = delete;
  LogScope& operator=(const LogScope&) = delete;

 private:
  size_t count_;
};

// The fields of this thread's open scopes, oldest first.
const std::vector<LogField>& LogScopeFields();

// A correlation id fit to log and to carry in events: 1..128 characters of [A-Za-z0-9._:-].
// Anything else (which could smuggle text into logs) is not used as one.
bool ValidCorrelationId(std::string_view id);

}  // namespace yilian::common
