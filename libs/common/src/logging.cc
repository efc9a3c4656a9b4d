#include "yilian/common/logging.h"

#include "absl/strings/str_cat.h"
#include "spdlog/sinks/basic_file_sink.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace yilian::common {
namespace {
std::shared_ptr<spdlog::logger>& Slot() {
  static auto* logger = new std::shared_ptr<spdlog::logger>(spdlog::stderr_logger_mt("yilian"));
  return *logger;
}
}  // namespace

absl::Status InitLogging(const LogOptions& options) {
  auto level = spdlog::level::from_str(options.level);
  if (level == spdlog::level::off && options.level != "off")
    return absl::InvalidArgumentError(absl::StrCat(
        "log level \"", options.level, "\" is not one of trace, debug, info, warn, error, critical, off"));
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (!options.file.empty()) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file));
    } catch (const spdlog::spdlog_ex& e) {
      return absl::InvalidArgumentError(absl::StrCat("log file \"", options.file, "\": ", e.what()));
    }
  }
  auto logger = std::make_shared<spdlog::logger>(options.service, sinks.begin(), sinks.end());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %n: %v", spdlog::pattern_time_type::utc);
  logger->set_level(level);
  logger->flush_on(spdlog::level::info);
  Slot() = logger;
  return absl::OkStatus();
}

spdlog::logger& Logger() { return *Slot(); }

}  // namespace yilian::common
