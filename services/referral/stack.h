#pragma once
// The whole referral service in one object, in start order: store -> journal (+ referral
// projection) -> relay -> registry mirror, writer, intake -> bus consumer (registry, green
// channel) -> deadline timers -> gRPC (API, catch-up feed, bus admin). main.cc builds one from
// the config; tests build one on temp dirs, with or without Kafka. Destruction stops in
// reverse order.

#include <memory>
#include <string>

#include "directory.h"
#include "intake.h"
#include "referral_service.h"
#include "timers.h"
#include "yilian/bus/admin_service.h"
#include "yilian/bus/consumer.h"
#include "yilian/bus/event_source.h"
#include "yilian/bus/relay.h"
#include "yilian/eventstore/feed_service.h"
#include "yilian/host/service_host.h"

namespace yilian::referral {

struct StackOptions {
  std::string data_dir;
  bool rebuild = false;                   // rebuild the projection from the journal first
  bool use_bus = true;                    // relay + consumer; false: feed the intake by hand
  bus::KafkaSettings kafka;
  bus::EventSource* feed = nullptr;       // catch-up for the consumer (may be null)
  dr::Deadlines deadlines;
  dr::SlotPolicy slots;
  absl::Duration timer_poll = absl::Seconds(1);
  common::Clock* clock = &common::Clock::Real();
  host::HostOptions host;
  const host::Authenticator* auth = nullptr;  // required; borrowed
};

class ReferralStack {
 public:
  static absl::StatusOr<std::unique_ptr<ReferralStack>> Start(const StackOptions& options);
  ~ReferralStack();

  std::string address() const { return server_->address(); }
  eventstore::Store& store() { return *store_; }
  eventstore::Journal& journal() { return *journal_; }
  const ReferralView& view() const { return *view_; }
  ReferralWriter& writer() { return *writer_; }
  Intake& intake() { return *intake_; }
  IntakeProjector& intake_projector() { return intake_projector_; }
  bus::BusConsumer* consumer() { return consumer_.get(); }
  DeadlineTimer& timers() { return *timers_; }
  const MirrorDirectory& directory() const { return *directory_; }

 private:
  ReferralStack() = default;
  ReferralProjector projector_;
  IntakeProjector intake_projector_;
  std::unique_ptr<eventstore::Store> store_;
  std::unique_ptr<eventstore::Journal> journal_;
  std::unique_ptr<bus::OutboxRelay> relay_;
  std::unique_ptr<registry_model::RegistryView> registry_;
  std::unique_ptr<MirrorDirectory> directory_;
  std::unique_ptr<ReferralView> view_;
  std::unique_ptr<ReferralWriter> writer_;
  std::unique_ptr<Intake> intake_;
  std::unique_ptr<bus::BusConsumer> consumer_;
  std::unique_ptr<DeadlineTimer> timers_;
  std::unique_ptr<ReferralService> api_;
  std::unique_ptr<eventstore::FeedService> feed_;
  std::unique_ptr<bus::BusAdminService> admin_;
  std::unique_ptr<host::ServiceHost> server_;
};

}  // namespace yilian::referral
