#pragma once
// The outbox relay: publishes a service's journal to yilian.<service>.events in journal
// order (idempotent producer, acks=all, no delivery timeout), see wire.h for the format.
//
// Durability: after each stretch of acknowledged entries it writes a RelayCheckpoint to
// the service's meta family (synced). After a crash it resumes from the checkpoint; what
// was published but not yet checkpointed goes out again and consumers skip it. A broker
// outage only delays publication.
//
// An entry Kafka refuses for good (too large for the producer's or the broker's
// message.max.bytes) is not retried: it is counted in `refused`, logged as an error, a
// stand-in (wire.h) goes in its place, and the entries after it keep flowing. Consumers read
// the entry itself from the service's catch-up feed (the stand-in, and the next message of its
// partition, name it).
//
// A broker that lost acknowledged messages (a high watermark below what it acknowledged,
// as when the embedded broker restarts, or a real cluster loses its data) is detected at
// start and every `loss_check_interval`; the relay then republishes the whole journal,
// which restores every partition's history for consumers that were behind.
//
// One background thread (a WorkerLoop). Thread-safe. Borrows the store and journal.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "yilian/bus/kafka_settings.h"
#include "yilian/common/worker_loop.h"
#include "yilian/eventstore/journal.h"

namespace yilian::bus {

struct RelayOptions {
  KafkaSettings kafka;
  std::string topic;           // default: yilian.<journal source service>.events
  int max_in_flight = 100000;  // produced but not yet acknowledged
  // How long the producer waits to fill a batch (linger.ms): shorter makes librdkafka's
  // broker threads spin in poll() under load (docs/PERFORMANCE.md).
  absl::Duration linger = absl::Milliseconds(10);
  absl::Duration loss_check_interval = absl::Seconds(1);
  absl::Duration checkpoint_interval = absl::Milliseconds(50);
};

struct RelayStatus {
  int64_t published = 0;     // checkpointed: everything up to here is in the broker
  int64_t acknowledged = 0;  // acknowledged, maybe not checkpointed yet
  int64_t produced = 0;      // highest sequence handed to the producer
  int64_t in_flight = 0;
  int64_t republishes = 0;  // whole-journal republishes after a broker loss
  int64_t refused = 0;      // entries the broker refused for good (consumers read them from the feed)
  int32_t partitions = 0;   // 0 until the topic's metadata was read
  std::string last_error;   // most recent Kafka trouble (empty when none yet)
};

class OutboxRelay {
 public:
  static absl::StatusOr<std::unique_ptr<OutboxRelay>> Start(eventstore::Store* store,
                                                            const eventstore::Journal* journal, RelayOptions options);
  // Stops: waits up to 2 s for in-flight messages, checkpoints, and closes the producer.
  ~OutboxRelay();

  RelayStatus status() const;
  // True once everything up to `sequence` is checkpointed as published (for tests/tools).
  bool PublishedThrough(int64_t sequence) const { return status().published >= sequence; }

 private:
  class Worker;
  OutboxRelay() = default;
  std::unique_ptr<Worker> worker_;
  std::unique_ptr<common::WorkerLoop> loop_;
};

}  // namespace yilian::bus
