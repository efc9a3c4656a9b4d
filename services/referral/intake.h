#pragma once
// What the referral service takes from the bus, over a bus::Inbox: the BusConsumer folds
// registry events into the registry mirror ("registry/" in the `consumed` family) and queues
// in "ref/inbox" the bed board's answers to this service's bed requests (BedReserved,
// BedRequestDeclined, BedRequestReleased on aggregate "bed_request") and the registry's
// ExpertSessionCancelled. The Intake drains them into the referrals: reserved -> READY
// (bed-reserved), declined -> ACCEPTED (bed-declined, with the reason), a hold that lapsed
// before the patient arrived -> FAILED (no-show); a cancelled session -> each referral booked
// in it (session-cancelled), its slot freed. Thread-safe.

#include <memory>

#include "referral_commands.h"
#include "yilian/bus/inbox.h"

namespace yilian::referral {

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
  Intake(eventstore::Store* store, eventstore::Journal* journal, const ReferralView* view, ReferralCommands* commands);
  void Notify() { worker_->Notify(); }
  int64_t Pending() const { return worker_->Pending(); }

 private:
  absl::Status Handle(const events::v1::Envelope& env, const command::Call& call);
  absl::Status SessionCancelled(const events::v1::Envelope& env, const command::Call& call);
  const ReferralView* view_;
  ReferralCommands* commands_;
  std::unique_ptr<bus::InboxWorker> worker_;  // last: stops first
};

}  // namespace yilian::referral
