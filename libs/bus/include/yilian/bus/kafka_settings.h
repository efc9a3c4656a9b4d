#pragma once
// How a Yilian client reaches Kafka: the embedded broker by default, or a real cluster.
//
// `properties` pass straight through to librdkafka (security.protocol, ssl.ca.location,
// sasl.mechanism, sasl.username, sasl.password, ...), so anything librdkafka supports works
// without code changes. Yilian's own settings (idempotence, acks, offsets) are applied
// after them and cannot be weakened this way: see ApplyTo.

#include <librdkafka/rdkafka.h>

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "yilian/bus/bus_keys.h"
#include "yilian/common/config.h"

namespace yilian::bus {

struct KafkaSettings {
  std::string bootstrap;  // "host:port,host:port"
  std::string client_id;  // shows in broker logs and quotas; default "yilian"
  std::map<std::string, std::string> properties;
  // Where `bootstrap` was read from ("@path" in the config), else empty. The relay and the
  // consumer look at it again about once a second and reconnect when it names other servers:
  // a restarted embedded broker (new ports) is followed without restarting the service.
  std::string bootstrap_file;
  // The keys the relay signs with (its service's newest) and the consumer verifies with (its
  // sources'), from bus.keys_file. A relay without a key for its service does not start; a
  // consumer parks every message it cannot verify.
  BusKeys keys;
};

// "k=v;k=v" (or newline separated) -> map. INVALID_ARGUMENT naming a malformed item.
absl::StatusOr<std::map<std::string, std::string>> ParseKafkaProperties(const std::string& text);

// A new librdkafka config holding the settings plus `fixed` (which win). INVALID_ARGUMENT
// naming the property librdkafka refused. The caller owns the returned config.
absl::StatusOr<rd_kafka_conf_t*> NewKafkaConf(const KafkaSettings& settings,
                                              const std::map<std::string, std::string>& fixed);

// Re-reads `bootstrap_file` (if any): true, with `bootstrap` updated, when it now names other
// servers. An unreadable or empty file (being rewritten) changes nothing.
bool RefreshBootstrap(KafkaSettings& settings);

// The configuration keys every service declares for Kafka:
//   kafka.bootstrap   bootstrap servers (default: the embedded broker's bootstrap file)
//   kafka.client_id   client id (default: the service name)
//   kafka.properties  "k=v;k=v" passed to librdkafka (secret: may hold sasl.password)
//   bus.keys_file     the keys that sign and verify messages (bus_keys.h)
std::vector<common::ConfigKey> KafkaConfigKeys(const std::string& service);
// Settings from a loaded config. `kafka.bootstrap` may name a file ("@path") holding the
// address, as written by yilian-broker --bootstrap-file. INVALID_ARGUMENT naming the key;
// FAILED_PRECONDITION when bus.keys_file cannot be read.
absl::StatusOr<KafkaSettings> KafkaSettingsFrom(const common::Config& config);

}  // namespace yilian::bus
