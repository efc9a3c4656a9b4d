#pragma once
// An inbox: the events a service must act on, queued durably by its BusConsumer and drained
// by one thread. The consumer's projector (InboxProjector) first folds the event into a
// mirror (the registry's rows, for example), then, in the same durable batch, queues the
// events the service has to act on:
//
//   <prefix>/<n BE u64>   the entry as its source stored it (from a consumer; re-serialized
//                         when applied by hand), in arrival order
//   <prefix>-next         next n
//
// The InboxWorker hands each item to the service under the idempotency key
// "inbox/<source>/<sequence>" and deletes it only after, so a crash between the two repeats
// nothing: an item already acted on (the key is in the journal) is skipped. UNAVAILABLE,
// ABORTED and INTERNAL are taken as transient (the item is kept and retried); any other error
// is logged and the item dropped. Thread-safe.

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "yilian/common/worker_loop.h"
#include "yilian/eventstore/journal.h"
#include "yilian/eventstore/projection.h"

namespace yilian::bus {

class InboxProjector : public eventstore::Projector {
 public:
  // Folds an event into the service's mirror (may be empty).
  using Mirror = std::function<absl::Status(const events::v1::Envelope&, eventstore::ProjectionBatch&)>;
  // True: queue it. An error refuses the event (the consumer parks it).
  using Admit = std::function<absl::StatusOr<bool>(const events::v1::Envelope&)>;
  InboxProjector(std::string prefix, Mirror mirror, Admit admit)
      : prefix_(std::move(prefix)), mirror_(std::move(mirror)), admit_(std::move(admit)) {}
  absl::Status Apply(const events::v1::Envelope& event, eventstore::ProjectionBatch& rows) override;
  absl::Status ApplyEntry(const events::v1::Envelope& event, std::string_view stored,
                          eventstore::ProjectionBatch& rows) override;
  const std::string& prefix() const { return prefix_; }

 private:
  std::string prefix_;
  Mirror mirror_;
  Admit admit_;
};

class InboxWorker {
 public:
  // Acts on one item; `idempotency_key` and `request_hash` (the event id) go on its append.
  using Handler = std::function<absl::Status(const events::v1::Envelope&, const std::string& idempotency_key,
                                             const std::string& request_hash)>;
  InboxWorker(eventstore::Store* store, const eventstore::Journal* journal, std::string prefix, std::string name,
              Handler handler);
  ~InboxWorker() = default;  // finishes the item in hand, then stops
  // Items may be waiting (call after each consumed batch).
  void Notify();
  // Items waiting (a scan; for tests and status).
  int64_t Pending() const;

 private:
  // One chunk of the inbox; true when more may be waiting.
  bool Pass();
  absl::Status Handle(const events::v1::Envelope& env);

  eventstore::Store* store_;
  const eventstore::Journal* journal_;
  std::string prefix_;  // "<prefix>/"
  std::string name_;
  Handler handler_;
  std::string resume_;       // the passes': where the next scan of the inbox starts
  common::WorkerLoop loop_;  // last: stops first
};

}  // namespace yilian::bus
