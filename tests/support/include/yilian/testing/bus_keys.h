#pragma once
// Bus keys for tests (libs/bus bus_keys.h): a fixed key per service name, the same in every
// process of a test, as a keys file's text or loaded. Link yilian::bus to use TestBusKeys.

#include <initializer_list>
#include <map>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "yilian/bus/bus_keys.h"
#include "yilian/bus/kafka_settings.h"
#include "yilian/common/sha256.h"

namespace yilian::testing {

inline constexpr std::initializer_list<const char*> kTestBusServices = {"registry", "referral", "greenchannel",
                                                                        "audit",    "owner",    "loadgen"};

// A keys file's text: key "test-1" of each service.
inline std::string TestBusKeysText(std::initializer_list<const char*> services = kTestBusServices) {
  std::string text;
  for (const char* s : services)
    absl::StrAppend(&text, s, " test-1 ",
                    absl::BytesToHexString(common::Sha256(absl::StrCat("yilian-test-bus-key/", s))), "\n");
  return text;
}

inline bus::BusKeys TestBusKeys(std::initializer_list<const char*> services = kTestBusServices) {
  return *bus::BusKeys::Parse(TestBusKeysText(services));
}

// Settings for a relay or consumer of a test, with the test keys.
inline bus::KafkaSettings TestKafka(std::string bootstrap, std::string client_id,
                                    std::map<std::string, std::string> properties = {}) {
  bus::KafkaSettings s{std::move(bootstrap), std::move(client_id), std::move(properties)};
  s.keys = TestBusKeys();
  return s;
}

}  // namespace yilian::testing
