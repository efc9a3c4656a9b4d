#pragma once
// The whole referral service in one object, in start order: store -> journal (+ referral
// projection) -> relay -> registry mirror, commands, intake -> bus consumer (registry, green
// channel) -> deadline timers -> gRPC (API, catch-up feed, bus admin). main.cc builds one from
// the config; tests build one on temp dirs, with or without Kafka. Destruction stops in
// reverse order.

#include <memory>
#include <string>

#include "directory.h"
#include "intake.h"
#include "referral_service.h"
#include "timers.h"
#include "worklist_watch.h"
#include "yilian/bus/event_source.h"
#include "yilian/bus/service_core.h"

namespace yilian::referral {

struct StackOptions {
  std::string data_dir;
  eventstore::StoreBudget store_budget;  // bus::StoreBudgetFrom(config)
  bool rebuild = false;                  // rebuild the projection from the journal first
  bool use_bus = true;                   // relay + consumer; false: feed the intake by hand
  bus::KafkaSettings kafka;
  bus::EventSource* feed = nullptr;  // catch-up for the consumer (may be null)
  domain::referral::Deadlines deadlines;
  domain::referral::SlotPolicy slots;
  absl::Duration timer_poll = absl::Seconds(1);
  common::Clock* clock = &common::Clock::Real();
  host::HostOptions host;
  const host::Authenticator* auth = nullptr;  // required; borrowed
  std::string keys_dir;                       // the patient data keys; "" = privacy::DefaultKeysDir(data_dir)
  std::string master_key;  // 32 bytes; "" = privacy::ProcessTestKey() (tests only: main.cc always sets it)
};

class ReferralStack {
 public:
  static absl::StatusOr<std::unique_ptr<ReferralStack>> Start(const StackOptions& options);
  ~ReferralStack();

  std::string address() const { return core_->address(); }
  eventstore::Store& store() { return core_->store(); }
  eventstore::Journal& journal() { return core_->journal(); }
  const ReferralView& view() const { return *view_; }
  ReferralCommands& commands() { return *commands_; }
  Intake& intake() { return *intake_; }
  IntakeProjector& intake_projector() { return intake_projector_; }
  bus::BusConsumer* consumer() { return core_->consumer(); }
  DeadlineTimer& timers() { return *timers_; }
  const MirrorDirectory& directory() const { return *directory_; }
  privacy::KeyVault& vault() { return *vault_; }

 private:
  ReferralStack() = default;
  ReferralProjector projector_;
  IntakeProjector intake_projector_;
  std::unique_ptr<privacy::KeyVault> vault_;
  std::unique_ptr<bus::ServiceCore> core_;  // store, journal, relay, consumer, host
  std::unique_ptr<registry_model::RegistryView> registry_;
  std::unique_ptr<MirrorDirectory> directory_;
  std::unique_ptr<ReferralView> view_;
  std::unique_ptr<ReplyShape> shape_;
  std::unique_ptr<ReferralCommands> commands_;
  std::unique_ptr<ReferralQueries> queries_;
  std::unique_ptr<WorklistWatcher> watcher_;
  std::unique_ptr<Intake> intake_;
  std::unique_ptr<DeadlineTimer> timers_;
  std::unique_ptr<command::RevealRecorder> reveals_;
  std::unique_ptr<ReferralService> api_;
};

}  // namespace yilian::referral
