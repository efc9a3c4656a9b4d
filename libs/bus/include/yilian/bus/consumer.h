#pragma once
// The exactly-once consumer: folds other services' events into this service's `consumed`
// family through its Projector. It reads every partition of its sources' topics itself (no
// consumer-group membership: each instance's projections need every event, and a restarted
// service reads at once). Its Kafka session (connect, assignment, pause and resume, bootstrap
// refresh, close) hands every message to an Applier
// (applier.h: watermarks, gap filling from the catch-up feed, parking, exactly once), and
// each batch of messages becomes ONE write holding the projector's rows, each aggregate's
// applied version and each partition's position: the durable state is always
// self-consistent, so after a crash the consumer resumes exactly there and never applies an
// event twice. (The batch is written without fsync: a power loss rolls rows and positions
// back together and they are simply read again.) When the feed cannot be reached, only the
// partition that needs it pauses and retries.
//
// One background thread (a WorkerLoop). Thread-safe. Borrows store, projector and feed.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "yilian/bus/event_source.h"
#include "yilian/bus/kafka_settings.h"
#include "yilian/bus/v1/bus.pb.h"
#include "yilian/common/clock.h"
#include "yilian/common/worker_loop.h"
#include "yilian/eventstore/projection.h"
#include "yilian/eventstore/store.h"

namespace yilian::bus {

struct ConsumerOptions {
  KafkaSettings kafka;
  std::string group_id;                             // the consuming service, e.g. "referral"
  std::vector<std::string> sources;                 // owning services to follow: topics yilian.<source>.events
  eventstore::Projector* projector = nullptr;       // required
  EventSource* feed = nullptr;                      // catch-up; without it a gap pauses its partition
  int max_batch = 4096;                             // messages per WriteBatch
  absl::Duration retry_backoff = absl::Seconds(1);  // a paused partition retries after this
  common::Clock* clock = &common::Clock::Real();
  // Runs on the consumer thread after each batch of projector rows is durable (keep it
  // short): lets a service act on what it just recorded, e.g. drain an inbox.
  std::function<void()> on_commit;
};

class BusConsumer {
 public:
  // FAILED_PRECONDITION when kafka.keys has no key for one of the sources.
  static absl::StatusOr<std::unique_ptr<BusConsumer>> Start(eventstore::Store* store, ConsumerOptions options);
  // Leaves the group (positions are already durable) and stops.
  ~BusConsumer();

  // Lag per partition and counters since start (a snapshot at most ~100 ms old).
  v1::GetConsumerStatusResponse status() const;
  // Parked events, oldest first, without their raw bytes. INVALID_ARGUMENT on a bad token.
  absl::StatusOr<v1::ListParkedResponse> ListParked(int page_size, const std::string& page_token) const;

 private:
  class Worker;
  BusConsumer() = default;
  eventstore::Store* store_ = nullptr;
  std::unique_ptr<Worker> worker_;
  std::unique_ptr<common::WorkerLoop> loop_;
};

}  // namespace yilian::bus
