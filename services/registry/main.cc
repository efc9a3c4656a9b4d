// yilian-registry: wiring only. Config -> store, journal, relay (bus::ServiceCore) -> gRPC (API + feed),
// served by host::ServiceMain until SIGTERM/SIGINT.
#include "config.h"
#include "registry_service.h"
#include "yilian/bus/service_core.h"
#include "yilian/common/status_macros.h"
#include "yilian/host/service_main.h"
#include "yilian/privacy/config.h"

using namespace yilian;

namespace {

struct Running {  // members stop in reverse order; the host first (see the destructor)
  registry::RegistryProjector projector;
  std::unique_ptr<privacy::KeyVault> vault;
  std::unique_ptr<bus::ServiceCore> core;  // store, journal, relay, host with the feed
  std::unique_ptr<registry::RegistryView> view;
  std::unique_ptr<registry::RegistryCommands> commands;
  std::unique_ptr<registry::RegistryService> api;
  ~Running() {
    if (core) core->StopServing();
  }
};

absl::StatusOr<host::Started> Start(const common::Config& config, const host::HostOptions& options,
                                    const host::Authenticator& auth) {
  ASSIGN_OR_RETURN(auto kafka, bus::KafkaSettingsFrom(config));
  auto r = std::make_shared<Running>();
  ASSIGN_OR_RETURN(r->vault, privacy::OpenVault(config));
  ASSIGN_OR_RETURN(r->core, bus::ServiceCore::Open({.data_dir = config.GetString("data.dir"),
                                                    .store_budget = bus::StoreBudgetFrom(config),
                                                    .source_service = "registry",
                                                    .projector = &r->projector,
                                                    .rebuild = config.GetBool("rebuild")}));
  RETURN_IF_ERROR(r->core->StartRelay(kafka));
  r->view = std::make_unique<registry::RegistryView>(&r->core->store());
  r->commands = std::make_unique<registry::RegistryCommands>(&r->core->journal(), r->view.get(), r->vault.get());
  r->api = std::make_unique<registry::RegistryService>(r->commands.get(), r->view.get(), &auth);
  host::HostOptions host = options;
  host.health_names.push_back(registry::v1::Registry::service_full_name());
  RETURN_IF_ERROR(r->core->Serve(host, auth, {r->api.get()}));
  return host::Started{r->core->address(), r};
}

}  // namespace

int main(int argc, char** argv) { return host::ServiceMain(argc, argv, "registry", registry::ConfigSchema(), Start); }
