#pragma once
// What the green channel takes from the bus, over a bus::Inbox. The BusConsumer folds
// registry events into the registry mirror ("registry/" in the `consumed` family) and, in
// the same durable batch, queues in "gc/inbox" what the bed board must act on: ward
// capacity from the registry; bed requests, cancellations and admissions from referrals
// (a malformed one is refused, so the consumer parks it). The Intake drains the queue
// through the BedCommands. Thread-safe.

#include <memory>

#include "bed_commands.h"
#include "yilian/bus/inbox.h"
#include "yilian/registry_model/registry_model.h"

namespace yilian::greenchannel {

class IntakeProjector : public bus::InboxProjector {
 public:
  IntakeProjector();
  // The registry mirror's projector (to hook PatientErased).
  registry_model::RegistryProjector& registry() { return registry_; }

 private:
  registry_model::RegistryProjector registry_{"registry/"};
};

class Intake {
 public:
  Intake(eventstore::Store* store, eventstore::Journal* journal, BedCommands* beds,
         const registry_model::RegistryView* registry, SiteDirectory* sites);
  // After each consumed batch: the registry may have changed and items may be waiting.
  void Notify();
  // Items waiting (a scan; for tests and status).
  int64_t Pending() const { return worker_->Pending(); }

 private:
  absl::Status Handle(const events::v1::Envelope& env, const command::Call& call);

  BedCommands* beds_;
  const registry_model::RegistryView* registry_;
  SiteDirectory* sites_;
  std::unique_ptr<bus::InboxWorker> worker_;  // last: stops first
};

}  // namespace yilian::greenchannel
