#pragma once
// Nodes for bus tests and benchmarks, over the real pieces: an owning service (store,
// journal, catch-up feed on a real gRPC port, outbox relay) and a consuming service
// (store, strict counter projector, BusConsumer with a feed client). Used in-process and
// by the bus_node child program that tests SIGKILL.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "yilian/bus/consumer.h"
#include "yilian/bus/event_source.h"
#include "yilian/bus/feed_service.h"
#include "yilian/bus/relay.h"
#include "yilian/eventstore/journal.h"
#include "yilian/host/service_host.h"
#include "yilian/testing/counter_projector.h"

namespace yilian::testing {

inline constexpr char kFeedToken[] = "bus-test-service-token";

// An EventSource whose feed addresses can change (an owner restarted on a new port).
class SwitchableEventSource : public bus::EventSource {
 public:
  void Set(const std::string& source, const std::string& address);
  absl::Status ReadJournal(const std::string& source, int64_t from, int64_t to, bus::EntryFn fn) override;
  absl::Status ReadAggregate(const std::string& source, const std::string& type, const std::string& id,
                             int64_t from_version, int64_t to_version, bus::EntryFn fn) override;

 private:
  std::shared_ptr<bus::GrpcEventSource> Current();
  std::mutex mu_;
  std::map<std::string, bus::FeedEndpoint> endpoints_;
  std::shared_ptr<bus::GrpcEventSource> current_;
};

class OwnerNode {
 public:
  // Opens (or reopens) the service's store at `dir` and serves its feed on a port 0.
  static absl::StatusOr<std::unique_ptr<OwnerNode>> Start(const std::string& service, const std::string& dir);
  ~OwnerNode();
  // `properties` go to the relay's producer (librdkafka settings).
  absl::Status StartRelay(const std::string& bootstrap, std::map<std::string, std::string> properties = {});
  void StopRelay() { relay_.reset(); }

  // Appends `count` one-event commands, event i going to aggregate "<service>-<i % aggregates>"
  // with `pad` bytes of note; `first` offsets i (to continue a round-robin).
  absl::Status Append(int64_t first, int64_t count, int aggregates, size_t pad = 0);

  eventstore::Journal& journal() { return *journal_; }
  eventstore::Store& store() { return *store_; }
  bus::OutboxRelay* relay() { return relay_.get(); }
  std::string feed_address() const { return host_->address(); }
  const std::string& service() const { return service_; }

 private:
  OwnerNode() = default;
  std::string service_;
  std::unique_ptr<eventstore::Store> store_;
  std::unique_ptr<eventstore::Journal> journal_;
  std::unique_ptr<host::Authenticator> auth_;
  std::unique_ptr<bus::FeedService> feed_;
  std::unique_ptr<host::ServiceHost> host_;
  std::unique_ptr<bus::OutboxRelay> relay_;
};

// Owning services, each on `base_dir/<service>`, with their relays publishing to `bootstrap`.
absl::StatusOr<std::vector<std::unique_ptr<OwnerNode>>> StartOwners(const std::string& base_dir,
                                                                    const std::string& bootstrap,
                                                                    const std::vector<std::string>& services);

class ConsumerNode {
 public:
  // `any_events`: record any service's events (AggregateVersionProjector) instead of counters.
  static absl::StatusOr<std::unique_ptr<ConsumerNode>> Open(const std::string& group, const std::string& dir,
                                                            bool any_events = false);
  ~ConsumerNode();
  void SetFeed(const std::string& source, const std::string& address) { feed_.Set(source, address); }
  absl::Status StartConsumer(const std::string& bootstrap, std::vector<std::string> sources);
  void StopConsumer() { consumer_.reset(); }

  bus::BusConsumer* consumer() { return consumer_.get(); }
  eventstore::Store& store() { return *store_; }
  // Events applied so far (exactly once each): counter events, or with any_events the sum
  // of every aggregate's applied version.
  int64_t Applied() const;

 private:
  ConsumerNode() = default;
  std::string group_;
  std::unique_ptr<eventstore::Store> store_;
  bool any_events_ = false;
  CounterProjector projector_;
  AggregateVersionProjector versions_;
  SwitchableEventSource feed_;
  std::unique_ptr<bus::BusConsumer> consumer_;
};

// Every aggregate in the owners' journals is in `consumer` exactly once and whole: its
// counter row counts every version (the strict projector refuses anything out of order)
// and nothing is parked. Names the first difference.
absl::Status CheckExactlyOnce(const eventstore::Store& consumer, const std::vector<const eventstore::Journal*>& owners);
// The consumed family's counter rows, for before/after comparisons.
std::map<std::string, std::string> CounterRows(const eventstore::Store& consumer);
// Parked records in a consumer store.
int64_t ParkedCount(const eventstore::Store& consumer);

}  // namespace yilian::testing
