#include "config.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "yilian/bus/event_source.h"
#include "yilian/bus/kafka_settings.h"
#include "yilian/host/service_config.h"
#include "yilian/privacy/config.h"

namespace yilian::referral {

namespace fv1 = ::yilian::referral::v1;

namespace {

constexpr fv1::Priority kPriorities[] = {fv1::ROUTINE, fv1::URGENT, fv1::ASAP, fv1::STAT};
std::string Name(fv1::Priority p) { return absl::AsciiStrToLower(fv1::Priority_Name(p)); }

}  // namespace

std::vector<common::ConfigKey> ConfigSchema() {
  using common::ConfigType;
  std::vector<common::ConfigKey> keys = host::ServiceConfigKeys("referral");
  const domain::referral::Deadlines d;
  for (auto p : kPriorities) {
    keys.push_back({.name = "deadline.respond." + Name(p),
                    .type = ConfigType::kDuration,
                    .default_value = absl::FormatDuration(d.respond[p]),
                    .help = "answer deadline of a " + Name(p) + " referral; escalates when missed"});
    keys.push_back({.name = "deadline.schedule." + Name(p),
                    .type = ConfigType::kDuration,
                    .default_value = absl::FormatDuration(d.schedule[p]),
                    .help = "a " + Name(p) + " referral not scheduled by then fails"});
  }
  keys.push_back({.name = "slots.resident_priority",
                  .type = ConfigType::kDuration,
                  .default_value = "24h",
                  .help = "until this long before the release cut-off, reserved slots go to signed residents only"});
  keys.push_back({.name = "timer.poll",
                  .type = ConfigType::kDuration,
                  .default_value = "1s",
                  .help = "how often the deadline timers look for due referrals"});
  for (auto& k : bus::FeedConfigKeys({"registry", "greenchannel"})) keys.push_back(std::move(k));
  for (auto& k : bus::KafkaConfigKeys("referral")) keys.push_back(std::move(k));
  for (auto& k : privacy::PrivacyConfigKeys()) keys.push_back(std::move(k));
  return keys;
}

absl::StatusOr<domain::referral::Deadlines> DeadlinesFrom(const common::Config& config) {
  domain::referral::Deadlines d;
  for (auto p : kPriorities) {
    d.respond[p] = config.GetDuration("deadline.respond." + Name(p));
    d.schedule[p] = config.GetDuration("deadline.schedule." + Name(p));
    if (d.respond[p] <= absl::ZeroDuration() || d.schedule[p] < d.respond[p])
      return absl::InvalidArgumentError(
          absl::StrCat("deadlines of ", Name(p), ": respond must be > 0 and schedule at least as long"));
  }
  return d;
}

absl::StatusOr<domain::referral::SlotPolicy> SlotPolicyFrom(const common::Config& config) {
  domain::referral::SlotPolicy p;
  p.resident_priority = config.GetDuration("slots.resident_priority");
  if (p.resident_priority < absl::ZeroDuration())
    return absl::InvalidArgumentError("slots.resident_priority must not be negative");
  return p;
}

}  // namespace yilian::referral
