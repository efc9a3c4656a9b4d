#pragma once
// A smoke check of a Kafka-protocol cluster: for each topic, produce one message with an
// idempotent acks=all producer and read it back at its delivered offset with a plain
// consumer. OK if every topic round-trips within `deadline`; otherwise says which failed.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace yilian::bus {

absl::Status RoundTrip(const std::string& bootstrap, const std::vector<std::string>& topics,
                       absl::Duration deadline = absl::Seconds(30));

}  // namespace yilian::bus
