#include "config.h"

#include "absl/strings/str_cat.h"
#include "yilian/bus/event_source.h"
#include "yilian/bus/kafka_settings.h"
#include "yilian/host/service_config.h"
#include "yilian/privacy/config.h"

namespace yilian::greenchannel {

std::vector<common::ConfigKey> ConfigSchema() {
  using common::ConfigType;
  std::vector<common::ConfigKey> keys = host::ServiceConfigKeys("greenchannel");
  std::vector<common::ConfigKey> own = {
      {.name = "placement.speed_kmh",
       .type = ConfigType::kInt,
       .default_value = "40",
       .help = "ambulance speed for travel-time ranking (straight line), 5..200"},
      {.name = "placement.circle_minutes",
       .type = ConfigType::kInt,
       .default_value = "30",
       .help = "the emergency circle, 1..240 minutes"},
      {.name = "hold.emergency",
       .type = ConfigType::kDuration,
       .default_value = "60m",
       .help = "how long an emergency bed is held for a patient on the way"},
      {.name = "hold.referral",
       .type = ConfigType::kDuration,
       .default_value = "24h",
       .help = "referral bed hold when the request names no admission time"},
      {.name = "expiry.poll",
       .type = ConfigType::kDuration,
       .default_value = "200ms",
       .help = "how often the hold expiry timer looks for due holds"},
  };
  for (auto& k : own) keys.push_back(std::move(k));
  for (auto& k : bus::FeedConfigKeys({"registry", "referral"})) keys.push_back(std::move(k));
  for (auto& k : bus::KafkaConfigKeys("greenchannel")) keys.push_back(std::move(k));
  for (auto& k : privacy::PrivacyConfigKeys()) keys.push_back(std::move(k));
  return keys;
}

absl::StatusOr<BoardOptions> BoardOptionsFrom(const common::Config& config) {
  BoardOptions o;
  const int64_t speed = config.GetInt("placement.speed_kmh");
  const int64_t circle = config.GetInt("placement.circle_minutes");
  if (speed < 5 || speed > 200)
    return absl::InvalidArgumentError(absl::StrCat("placement.speed_kmh ", speed, " is not 5..200"));
  if (circle < 1 || circle > 240)
    return absl::InvalidArgumentError(absl::StrCat("placement.circle_minutes ", circle, " is not 1..240"));
  o.placement.speed_kmh = static_cast<double>(speed);
  o.placement.circle_minutes = static_cast<double>(circle);
  o.emergency_hold = config.GetDuration("hold.emergency");
  o.referral_hold = config.GetDuration("hold.referral");
  if (o.emergency_hold < absl::Minutes(1) || o.referral_hold < absl::Minutes(1))
    return absl::InvalidArgumentError("hold.emergency and hold.referral must be at least 1m");
  return o;
}

}  // namespace yilian::greenchannel
