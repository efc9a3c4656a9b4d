#include "yilian/common/logging.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "spdlog/sinks/basic_file_sink.h"
#include "spdlog/sinks/rotating_file_sink.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace yilian::common {
namespace {

std::shared_ptr<spdlog::logger>& Slot() {
  static auto* logger = new std::shared_ptr<spdlog::logger>(spdlog::stderr_logger_mt("yilian"));
  return *logger;
}

thread_local std::vector<LogField> scope_fields;

// One record per line, its fields taken from the logging thread's scopes (spdlog formats
// synchronously on the caller's thread).
class RecordFormatter : public spdlog::formatter {
 public:
  explicit RecordFormatter(bool json) : json_(json) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromChrono(msg.time), absl::UTCTimeZone());
    const auto lv = spdlog::level::to_string_view(msg.level);
    const std::string level(lv.data(), lv.size());
    const std::string name(msg.logger_name.data(), msg.logger_name.size());
    const std::string text(msg.payload.data(), msg.payload.size());
    std::string line;
    if (json_) {
      nlohmann::ordered_json j = {{"ts", ts}, {"level", level}, {"service", name}, {"msg", text}};
      for (const auto& [k, v] : scope_fields) j[k] = v;
      line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      line = absl::StrCat(ts, " ", level, " ", name, ": ", text);
      for (const auto& [k, v] : scope_fields) absl::StrAppend(&line, " ", k, "=", v);
    }
    line.push_back('\n');
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<RecordFormatter>(json_); }

 private:
  bool json_;
};

}  // namespace

absl::Status InitLogging(const LogOptions& options) {
  auto level = spdlog::level::from_str(options.level);
  if (level == spdlog::level::off && options.level != "off")
    return absl::InvalidArgumentError(
        absl::StrCat("log level \"", options.level, "\" is not one of trace, debug, info, warn, error, critical, off"));
  if (options.format != "text" && options.format != "json")
    return absl::InvalidArgumentError(absl::StrCat("log format \"", options.format, "\" is not one of text, json"));
  if (!options.to_stderr && options.file.empty())
    return absl::InvalidArgumentError("logging neither to stderr nor to a file");
  if (options.file_keep < 1 || options.file_keep > 1000)
    return absl::InvalidArgumentError(absl::StrCat("log files to keep: ", options.file_keep, " is not within 1..1000"));
  std::vector<spdlog::sink_ptr> sinks;
  if (options.to_stderr) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (!options.file.empty()) {
    try {
      if (options.file_max_bytes > 0) {
        sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(options.file, options.file_max_bytes,
                                                                               static_cast<size_t>(options.file_keep)));
      } else {
        sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file));
      }
    } catch (const spdlog::spdlog_ex& e) {
      return absl::InvalidArgumentError(absl::StrCat("log file \"", options.file, "\": ", e.what()));
    }
  }
  auto logger = std::make_shared<spdlog::logger>(options.service, sinks.begin(), sinks.end());
  logger->set_formatter(std::make_unique<RecordFormatter>(options.format == "json"));
  logger->set_level(level);
  logger->flush_on(std::min(level, spdlog::level::info));  // every record written is on disk before a crash
  Slot() = logger;
  return absl::OkStatus();
}

spdlog::logger& Logger() { return *Slot(); }

LogScope::LogScope(std::vector<LogField> fields) : count_(fields.size()) {
  for (auto& f : fields) scope_fields.push_back(std::move(f));
}

LogScope::~LogScope() { scope_fields.resize(scope_fields.size() - count_); }

const std::vector<LogField>& LogScopeFields() { return scope_fields; }

bool ValidCorrelationId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != ':' && c != '-')
      return false;
  return true;
}

}  // namespace yilian::common
