#include "yilian/bus/kafka_settings.h"

#include <fstream>
#include <sstream>

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

std::vector<common::ConfigKey> KafkaConfigKeys(const std::string& service) {
  return {
      {.name = "kafka.bootstrap",
       .default_value = "@.yilian/bootstrap",
       .help = "Kafka bootstrap servers (host:port,...), or @FILE holding them (the embedded broker writes one)"},
      {.name = "kafka.client_id", .default_value = service, .help = "Kafka client id"},
      {.name = "kafka.properties",
       .default_value = "",
       .help = "librdkafka properties, k=v;k=v (security.protocol, ssl.ca.location, sasl.*)",
       .check =
           [](const std::string& v) {
             auto p = ParseKafkaProperties(v);
             return p.ok() ? std::string() : std::string(p.status().message());
           },
       .secret = true},
      {.name = "bus.keys_file",
       .default_value = ".yilian/bus.keys",
       .help = "keys that sign this service's Kafka messages and verify its sources' (lines: service key-id "
               "64-hex; owner-only)"},
  };
}

bool RefreshBootstrap(KafkaSettings& settings) {
  if (settings.bootstrap_file.empty()) return false;
  std::ifstream in(settings.bootstrap_file);
  std::stringstream text;
  text << in.rdbuf();
  std::string servers(absl::StripAsciiWhitespace(text.str()));
  if (!in || servers.empty() || servers == settings.bootstrap) return false;
  settings.bootstrap = std::move(servers);
  return true;
}

absl::StatusOr<KafkaSettings> KafkaSettingsFrom(const common::Config& config) {
  KafkaSettings s;
  s.bootstrap = config.GetString("kafka.bootstrap");
  if (!s.bootstrap.empty() && s.bootstrap[0] == '@') {
    s.bootstrap_file = s.bootstrap.substr(1);
    s.bootstrap.clear();
    if (!RefreshBootstrap(s))
      return absl::InvalidArgumentError(absl::StrCat("kafka.bootstrap: cannot read servers from ", s.bootstrap_file,
                                                     " (is the embedded broker running?)"));
  }
  s.client_id = config.GetString("kafka.client_id");
  auto props = ParseKafkaProperties(config.GetString("kafka.properties"));
  if (!props.ok()) return absl::InvalidArgumentError(absl::StrCat("kafka.properties: ", props.status().message()));
  s.properties = std::move(*props);
  auto keys = BusKeys::Load(config.GetString("bus.keys_file"));
  if (!keys.ok()) return keys.status();
  s.keys = std::move(*keys);
  return s;
}

}  // namespace yilian::bus
