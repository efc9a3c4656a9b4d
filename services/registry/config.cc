#include "config.h"

#include "yilian/bus/kafka_settings.h"
#include "yilian/host/service_config.h"
#include "yilian/privacy/config.h"

namespace yilian::registry {

std::vector<common::ConfigKey> ConfigSchema() {
  std::vector<common::ConfigKey> keys = host::ServiceConfigKeys("registry");
  for (auto& k : bus::KafkaConfigKeys("registry")) keys.push_back(std::move(k));
  for (auto& k : privacy::PrivacyConfigKeys()) keys.push_back(std::move(k));
  return keys;
}

}  // namespace yilian::registry
