#include "config.h"

#include "stack.h"
#include "yilian/bus/event_source.h"
#include "yilian/bus/kafka_settings.h"
#include "yilian/host/service_config.h"

namespace yilian::audit {

std::vector<common::ConfigKey> ConfigSchema() {
  std::vector<common::ConfigKey> keys = host::ServiceConfigKeys("audit");
  for (auto& k : bus::FeedConfigKeys(kSources)) keys.push_back(std::move(k));
  for (auto& k : bus::KafkaConfigKeys("audit")) keys.push_back(std::move(k));
  return keys;
}

}  // namespace yilian::audit
