// yilian-registry: wiring only. Config -> store -> journal -> relay -> gRPC (API + feed),
// served by host::ServiceMain until SIGTERM/SIGINT.
#include "config.h"
#include "registry_service.h"
#include "yilian/bus/metrics.h"
#include "yilian/bus/relay.h"
#include "yilian/common/logging.h"
#include "yilian/common/status_macros.h"
#include "yilian/eventstore/feed_service.h"
#include "yilian/host/service_main.h"

using namespace yilian;

namespace {

struct Running {  // members stop in reverse order: server, feed, api, view, relay, journal, store
  registry::RegistryProjector projector;
  std::unique_ptr<eventstore::Store> store;
  std::unique_ptr<eventstore::Journal> journal;
  std::unique_ptr<bus::OutboxRelay> relay;
  std::unique_ptr<registry::RegistryView> view;
  std::unique_ptr<registry::RegistryService> api;
  std::unique_ptr<eventstore::FeedService> feed;
  std::unique_ptr<host::ServiceHost> server;
  ~Running() {
    if (server) server->Shutdown(absl::Seconds(10));
  }
};

absl::StatusOr<host::Started> Start(const common::Config& config, const host::HostOptions& options,
                                    const host::Authenticator& auth) {
  ASSIGN_OR_RETURN(auto kafka, bus::KafkaSettingsFrom(config));
  auto r = std::make_shared<Running>();
  ASSIGN_OR_RETURN(r->store, eventstore::Store::Open({.path = config.GetString("data.dir")}));
  ASSIGN_OR_RETURN(r->journal,
                   eventstore::Journal::Open(r->store.get(), {.source_service = "registry", .projector = &r->projector}));
  if (config.GetBool("rebuild")) {
    RETURN_IF_ERROR(r->journal->RebuildProjections());
    common::Logger().info("registry: projections rebuilt from {} events", r->journal->head().sequence);
  }
  ASSIGN_OR_RETURN(r->relay, bus::OutboxRelay::Start(r->store.get(), r->journal.get(), {.kafka = kafka}));
  r->view = std::make_unique<registry::RegistryView>(r->store.get());
  r->api = std::make_unique<registry::RegistryService>(r->journal.get(), r->view.get(), &auth);
  r->feed = std::make_unique<eventstore::FeedService>(
      r->journal.get(), auth.RequireRoles({common::Role::ROLE_SERVICE, common::Role::ROLE_AUDITOR}));
  ASSIGN_OR_RETURN(r->server, host::ServiceHost::Start(options, auth, {r->api.get(), r->feed.get()}));
  bus::RegisterBusMetrics(options.metrics, r->journal.get(), r->relay.get(), nullptr);
  return host::Started{r->server->address(), r};
}

}  // namespace

int main(int argc, char** argv) { return host::ServiceMain(argc, argv, "registry", registry::ConfigSchema(), Start); }
