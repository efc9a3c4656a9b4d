#pragma once
// The whole green channel in one object, in start order: store -> journal (+ board
// projection) -> relay -> registry mirror, sites, board and its commands, intake -> bus consumer -> expiry
// timer -> gRPC (API, catch-up feed, bus admin). main.cc builds one from the config; tests
// build one on temp dirs, with or without Kafka. Destruction stops in reverse order.

#include <memory>
#include <string>

#include "expiry.h"
#include "greenchannel_service.h"
#include "intake.h"
#include "yilian/bus/event_source.h"
#include "yilian/bus/service_core.h"
#include "yilian/command/reveal_record.h"

namespace yilian::greenchannel {

struct StackOptions {
  std::string data_dir;
  eventstore::StoreBudget store_budget;  // bus::StoreBudgetFrom(config)
  bool rebuild = false;                  // rebuild the projections from the journal first
  bool use_bus = true;                   // relay + consumer; false: feed the intake by hand
  bus::KafkaSettings kafka;
  bus::EventSource* feed = nullptr;  // catch-up for the consumer (may be null)
  BoardOptions board;
  absl::Duration expiry_poll = absl::Milliseconds(200);
  common::Clock* clock = &common::Clock::Real();
  host::HostOptions host;
  const host::Authenticator* auth = nullptr;  // required; borrowed
  std::string keys_dir;                       // the patient data keys; "" = privacy::DefaultKeysDir(data_dir)
  std::string master_key;  // 32 bytes; "" = privacy::ProcessTestKey() (tests only: main.cc always sets it)
};

class GreenChannelStack {
 public:
  static absl::StatusOr<std::unique_ptr<GreenChannelStack>> Start(const StackOptions& options);
  ~GreenChannelStack();

  std::string address() const { return core_->address(); }
  eventstore::Store& store() { return core_->store(); }
  eventstore::Journal& journal() { return core_->journal(); }
  const BoardView& view() const { return *view_; }
  CaseCommands& cases() { return *cases_; }
  BedCommands& beds() { return *beds_; }
  Intake& intake() { return *intake_; }
  IntakeProjector& intake_projector() { return intake_projector_; }
  bus::BusConsumer* consumer() { return core_->consumer(); }
  ExpiryTimer& expiry() { return *expiry_; }
  privacy::KeyVault& vault() { return *vault_; }

 private:
  GreenChannelStack() = default;
  BoardProjector projector_;
  IntakeProjector intake_projector_;
  std::unique_ptr<privacy::KeyVault> vault_;
  std::unique_ptr<bus::ServiceCore> core_;  // store, journal, relay, consumer, host
  std::unique_ptr<registry_model::RegistryView> registry_;
  std::unique_ptr<BoardView> view_;
  std::unique_ptr<SiteDirectory> sites_;
  std::unique_ptr<Board> board_;
  std::unique_ptr<CaseCommands> cases_;
  std::unique_ptr<BedCommands> beds_;
  std::unique_ptr<Intake> intake_;
  std::unique_ptr<ExpiryTimer> expiry_;
  std::unique_ptr<BoardQueries> queries_;
  std::unique_ptr<InboundQueries> inbound_;
  std::unique_ptr<command::RevealRecorder> reveals_;
  std::unique_ptr<GreenChannelService> api_;
};

}  // namespace yilian::greenchannel
