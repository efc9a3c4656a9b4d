#include "yilian/bus/kafka_settings.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "yilian/common/strings.h"

namespace yilian::bus {

absl::StatusOr<std::map<std::string, std::string>> ParseKafkaProperties(const std::string& text) {
  std::map<std::string, std::string> out;
  for (absl::string_view item : absl::StrSplit(common::Sv(text), absl::ByAnyChar(";\n"), absl::SkipWhitespace())) {
    const size_t eq = item.find('=');
    absl::string_view key = absl::StripAsciiWhitespace(item.substr(0, eq));
    if (eq == absl::string_view::npos || key.empty())
      return absl::InvalidArgumentError(absl::StrCat("Kafka property '", item, "' is not key=value"));
    out[std::string(key)] = std::string(absl::StripAsciiWhitespace(item.substr(eq + 1)));
  }
  return out;
}

absl::StatusOr<rd_kafka_conf_t*> NewKafkaConf(const KafkaSettings& settings,
                                               const std::map<std::string, std::string>& fixed) {
  if (settings.bootstrap.empty()) return absl::InvalidArgumentError("Kafka bootstrap servers are not set");
  std::map<std::string, std::string> all = settings.properties;
  all["bootstrap.servers"] = settings.bootstrap;
  all["client.id"] = settings.client_id.empty() ? std::string("yilian") : settings.client_id;
  all.emplace("log_level", "4");  // warnings and worse, unless set
  for (const auto& [k, v] : fixed) all[k] = v;
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : all) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat("Kafka property ", k, ": ", err));
    }
  }
  return conf;
}

}  // namespace yilian::bus
