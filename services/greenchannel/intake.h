#pragma once
// What the green channel takes from the bus. The BusConsumer folds registry events into the
// registry mirror ("registry/" in the `consumed` family) and, in the same durable batch,
// queues the events the bed board must act on — ward capacity from the registry, bed
// requests, cancellations and admissions from referrals — as inbox rows:
//
//   gc/inbox/<n BE u64>   the envelope, in arrival order      gc/inbox-next   next n
//
// The Intake thread drains the inbox through the BoardWriter. Each item is acted on under
// the idempotency key "inbox/<source>/<sequence>" and deleted only after, so a crash
// between the two repeats nothing. Thread-safe.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "board_writer.h"
#include "yilian/registry_model/registry_model.h"

namespace yilian::greenchannel {

class IntakeProjector : public eventstore::Projector {
 public:
  // Malformed bed-board messages are refused (the consumer parks them).
  absl::Status Apply(const events::v1::Envelope& event, eventstore::ProjectionBatch& rows) override;

 private:
  registry_model::RegistryProjector registry_{"registry/"};
};

class Intake {
 public:
  Intake(eventstore::Store* store, eventstore::Journal* journal, BoardWriter* writer,
         const registry_model::RegistryView* registry, SiteDirectory* sites);
  ~Intake();  // finishes the item in hand, then stops
  // After each consumed batch: the registry may have changed and items may be waiting.
  void Notify();
  // Items waiting (a scan; for tests and status).
  int64_t Pending() const;

 private:
  void Loop();
  absl::Status Handle(const events::v1::Envelope& env);

  eventstore::Store* store_;
  eventstore::Journal* journal_;
  BoardWriter* writer_;
  const registry_model::RegistryView* registry_;
  SiteDirectory* sites_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;     // guarded by mu_
  bool poked_ = true;     // guarded by mu_; true: look at the inbox at start
  std::thread thread_;
};

}  // namespace yilian::greenchannel
