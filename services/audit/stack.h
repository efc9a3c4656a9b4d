#pragma once
// The whole audit service in one object, in start order: store -> archive journal (+ index
// projector) -> archiver -> bus consumer (every yilian.*.events topic) -> gRPC (Audit, the
// archive's catch-up feed, bus admin). No relay: the archive is read through this API and
// its feed. main.cc builds one from the config; tests build one on temp dirs, with or
// without Kafka. Destruction stops in reverse order.

#include <memory>
#include <string>

#include "archive_model.h"
#include "archiver.h"
#include "audit_service.h"
#include "source_check.h"
#include "yilian/bus/service_core.h"

namespace yilian::audit {

struct StackOptions {
  std::string data_dir;
  eventstore::StoreBudget store_budget;  // bus::StoreBudgetFrom(config)
  bool rebuild = false;                  // rebuild the indexes from the archive first
  bool use_bus = true;                   // consumer; false: feed the archive by hand
  bus::KafkaSettings kafka;
  bus::EventSource* feed = nullptr;  // the sources' catch-up feeds (gaps, repairs)
  common::Clock* clock = &common::Clock::Real();
  host::HostOptions host;
  const host::Authenticator* auth = nullptr;  // required; borrowed
};

class AuditStack {
 public:
  static absl::StatusOr<std::unique_ptr<AuditStack>> Start(const StackOptions& options);
  ~AuditStack();

  std::string address() const { return core_->address(); }
  eventstore::Store& store() { return core_->store(); }
  eventstore::Journal& journal() { return core_->journal(); }
  const ArchiveView& view() const { return *view_; }
  Archiver& archiver() { return *archiver_; }
  ArchiveProjector& archive_projector() { return archive_projector_; }
  bus::BusConsumer* consumer() { return core_->consumer(); }

 private:
  AuditStack() = default;
  IndexProjector index_;
  ArchiveProjector archive_projector_;
  std::unique_ptr<bus::ServiceCore> core_;  // store, journal, relay, consumer, host
  std::unique_ptr<ArchiveView> view_;
  std::unique_ptr<Archiver> archiver_;
  std::unique_ptr<CallRecorder> calls_;
  std::unique_ptr<AuditService> api_;
};

}  // namespace yilian::audit
