#pragma once
// What a topic takes: its max.message.bytes as the cluster reports it (DescribeConfigs), so a
// service can refuse to start when its journal takes events the topic would refuse.
// Thread-safe (each call uses a client of its own).

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "yilian/bus/kafka_settings.h"

namespace yilian::bus {

// The topic's max.message.bytes. UNIMPLEMENTED when the cluster cannot describe configs (the
// embedded broker, known by its cluster id "mockCluster…"), UNAVAILABLE when it does not answer within `timeout`,
// PERMISSION_DENIED without the DescribeConfigs ACL, NOT_FOUND for an unknown topic.
absl::StatusOr<int64_t> TopicMaxMessageBytes(const KafkaSettings& kafka, const std::string& topic,
                                             absl::Duration timeout);

// OK when a topic taking messages of up to `topic_max` bytes takes every event of up to
// `max_event` bytes with `framing` to spare; FAILED_PRECONDITION saying what to change.
absl::Status CheckTopicTakes(const std::string& topic, int64_t topic_max, int64_t max_event, int64_t framing);

}  // namespace yilian::bus
