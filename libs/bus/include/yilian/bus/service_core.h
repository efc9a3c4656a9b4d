#pragma once
// What every service stack opens first and stops last, in one place: the store and journal
// (rebuilt from the journal on demand), the outbox relay, the bus consumer, and the gRPC host
// serving the service's API next to its catch-up feed (SERVICE, AUDITOR) and, with a
// consumer, the bus admin (CONSORTIUM_ADMIN, SERVICE, AUDITOR), with the bus metrics
// registered when the host options carry a Metrics.
//
// Stop order (the stack calls these, its own parts between them):
//   StopServing() -> StopConsumer() -> the stack's own workers -> the destructor (relay, journal, store)

#include <memory>
#include <string>
#include <vector>

#include "yilian/bus/admin_service.h"
#include "yilian/bus/consumer.h"
#include "yilian/bus/feed_service.h"
#include "yilian/bus/relay.h"
#include "yilian/common/config.h"
#include "yilian/eventstore/journal.h"
#include "yilian/host/service_host.h"

namespace yilian::bus {

// What a service's journal takes per event by default: far under Kafka's usual 1 MB message.
inline constexpr size_t kMaxEventBytes = 256 << 10;

struct CoreOptions {
  std::string data_dir;
  eventstore::StoreBudget store_budget;
  std::string source_service;                  // the journal's source, e.g. "referral"
  eventstore::Projector* projector = nullptr;  // the service's projection (borrowed)
  bool rebuild = false;
  common::Clock* clock = &common::Clock::Real();
  // The largest event the journal takes (Journal::max_event_bytes; 0: no limit). A journal that
  // goes to Kafka keeps it under the producer's message.max.bytes (StartRelay checks).
  size_t max_event_bytes = kMaxEventBytes;
};

// The store's memory budget from store.cache_mb and store.memtable_mb (host::ServiceConfigKeys).
eventstore::StoreBudget StoreBudgetFrom(const common::Config& config);

class ServiceCore {
 public:
  static absl::StatusOr<std::unique_ptr<ServiceCore>> Open(const CoreOptions& options);
  ~ServiceCore();

  // FAILED_PRECONDITION when the producer's message.max.bytes, or the topic's
  // max.message.bytes (read from the cluster when it can say, within 5 s), could refuse an
  // event the journal takes.
  absl::Status StartRelay(const KafkaSettings& kafka);
  absl::Status StartConsumer(ConsumerOptions options);
  // `feed_readers` decides who reads the journal through the catch-up feed (default: SERVICE
  // and AUDITOR principals).
  absl::Status Serve(const host::HostOptions& host, const host::Authenticator& auth, std::vector<grpc::Service*> api,
                     FeedAuthorizer feed_readers = nullptr);
  void StopServing();
  void StopConsumer();

  eventstore::Store& store() { return *store_; }
  eventstore::Journal& journal() { return *journal_; }
  OutboxRelay* relay() { return relay_.get(); }
  BusConsumer* consumer() { return consumer_.get(); }
  std::string address() const { return server_->address(); }

 private:
  ServiceCore() = default;
  std::unique_ptr<eventstore::Store> store_;
  std::unique_ptr<eventstore::Journal> journal_;
  std::unique_ptr<OutboxRelay> relay_;
  size_t max_event_bytes_ = 0;
  std::unique_ptr<BusConsumer> consumer_;
  std::unique_ptr<bus::FeedService> feed_;
  std::unique_ptr<BusAdminService> admin_;
  std::unique_ptr<host::ServiceHost> server_;
};

}  // namespace yilian::bus
