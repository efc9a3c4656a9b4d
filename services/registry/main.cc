// yilian-registry: wiring only. Config -> store -> journal -> relay -> gRPC (API + feed).
#include <cstdio>

#include "config.h"
#include "registry_service.h"
#include "yilian/bus/relay.h"
#include "yilian/common/logging.h"
#include "yilian/eventstore/feed_service.h"
#include "yilian/host/service_config.h"
#include "yilian/host/service_host.h"

using namespace yilian;

namespace {

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "yilian-registry: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  host::BlockShutdownSignals();
  const auto schema = registry::ConfigSchema();
  auto config = common::Config::Load(schema, argc, argv);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n\n%s", config.status().ToString().c_str(), common::Config::Usage(schema).c_str());
    return 2;
  }
  if (auto s = common::InitLogging({"registry", config->GetString("log.level"), config->GetString("log.file")}); !s.ok())
    return Fail(s);
  common::Logger().info("registry starting: {}", config->Describe());
  auto kafka = bus::KafkaSettingsFrom(*config);
  if (!kafka.ok()) return Fail(kafka.status());

  auto store = eventstore::Store::Open({.path = config->GetString("data.dir")});
  if (!store.ok()) return Fail(store.status());
  registry::RegistryProjector projector;
  auto journal = eventstore::Journal::Open(store->get(), {.source_service = "registry", .projector = &projector});
  if (!journal.ok()) return Fail(journal.status());
  if (config->GetBool("rebuild")) {
    if (auto s = (*journal)->RebuildProjections(); !s.ok()) return Fail(s);
    common::Logger().info("registry: projections rebuilt from {} events", (*journal)->head().sequence);
  }
  auto relay = bus::OutboxRelay::Start(store->get(), journal->get(), {.kafka = *kafka});
  if (!relay.ok()) return Fail(relay.status());

  const host::HostOptions options = host::HostOptionsFrom(*config, "registry");
  auto auth = host::AuthenticatorFor(options);
  if (!auth.ok()) return Fail(auth.status());
  registry::RegistryView view(store->get());
  registry::RegistryService api(journal->get(), &view, &*auth);
  eventstore::FeedService feed(journal->get(), auth->RequireRoles({common::Role::ROLE_SERVICE, common::Role::ROLE_AUDITOR}));
  auto server = host::ServiceHost::Start(options, *auth, {&api, &feed});
  if (!server.ok()) return Fail(server.status());
  host::WriteAddressFile(config->GetString("address.file"), (*server)->address());
  std::printf("listening=%s\n", (*server)->address().c_str());
  std::fflush(stdout);

  host::WaitForShutdownSignal();
  common::Logger().info("registry stopping");
  (*server)->Shutdown(absl::Seconds(10));
  relay->reset();
  return 0;
}
