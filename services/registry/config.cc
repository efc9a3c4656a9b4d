#include "config.h"

#include "yilian/bus/kafka_settings.h"

namespace yilian::registry {

std::vector<common::ConfigKey> ConfigSchema() {
  std::vector<common::ConfigKey> keys = {
      {.name = "data.dir", .default_value = ".yilian/registry", .help = "RocksDB directory (journal and projections)"},
      {.name = "listen", .default_value = "127.0.0.1:0", .help = "gRPC address; port 0 picks a free port"},
      {.name = "address.file", .default_value = "", .help = "write the bound host:port here once serving"},
      {.name = "tokens.file", .default_value = ".yilian/tokens", .help = "bearer tokens (sha256:<hex> subject institution role)"},
      {.name = "tls.cert", .default_value = "", .help = "server certificate (PEM); enables mutual TLS"},
      {.name = "tls.key", .default_value = "", .help = "server private key (PEM)", .secret = true},
      {.name = "tls.client_ca", .default_value = "", .help = "CA that signs client certificates (PEM)"},
      {.name = "log.level", .default_value = "info", .help = "trace, debug, info, warn, error"},
      {.name = "log.file", .default_value = "", .help = "also append logs to this file"},
      {.name = "rebuild", .type = common::ConfigType::kBool, .default_value = "false",
       .help = "rebuild the projections from the journal at start"},
  };
  for (auto& k : bus::KafkaConfigKeys("registry")) keys.push_back(std::move(k));
  return keys;
}

}  // namespace yilian::registry
