#pragma once
// An in-process registry for tests: real store, journal, projection and gRPC server on
// port 0, a key vault beside the store, with three callers: "admin" (CONSORTIUM_ADMIN), "doc"
// (clinician at a member centre) and "stranger" (clinician of no member institution).

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "import.h"
#include "registry_service.h"
#include "yilian/host/service_host.h"
#include "yilian/privacy/master_key.h"

namespace yilian::registry {

struct RegistryNode {
  explicit RegistryNode(const std::string& path, bool rebuild = false) {
    store = *eventstore::Store::Open({.path = path});
    journal = *eventstore::Journal::Open(store.get(), {.source_service = "registry", .projector = &projector});
    if (rebuild) rebuilt = journal->RebuildProjections();
    view = std::make_unique<RegistryView>(store.get());
    auth = std::make_unique<host::Authenticator>(
        host::Authenticator::FromTokens({{"admin", {"admin@loudi", "loudi-1st", common::Role::ROLE_CONSORTIUM_ADMIN}},
                                         {"doc", {"dr.li", "qiaotouhe-thc", common::Role::ROLE_CLINICIAN}},
                                         {"stranger", {"dr.x", "elsewhere", common::Role::ROLE_CLINICIAN}}}));
    vault = *privacy::KeyVault::Open(path + ".keys", privacy::ProcessTestKey());
    commands = std::make_unique<RegistryCommands>(journal.get(), view.get(), vault.get());
    service = std::make_unique<RegistryService>(commands.get(), view.get(), auth.get());
    host = *host::ServiceHost::Start({.service_name = "registry"}, *auth, {service.get()});
    stub = v1::Registry::NewStub(grpc::CreateChannel(host->address(), grpc::InsecureChannelCredentials()));
  }
  ~RegistryNode() {
    stub.reset();
    host.reset();
  }
  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    return ctx;
  }
  int64_t Head() const { return journal->head().sequence; }
  // The sample consortia of deploy/, imported through the API as the admin.
  void ImportSample(const std::string& file) {
    auto plan = ParseImportFile(file);
    if (!plan.ok()) throw std::runtime_error(plan.status().ToString());
    auto r = Import(*stub, "admin", *plan);
    if (!r.ok()) throw std::runtime_error(r.status().ToString());
  }

  RegistryProjector projector;
  absl::Status rebuilt;
  std::unique_ptr<eventstore::Store> store;
  std::unique_ptr<eventstore::Journal> journal;
  std::unique_ptr<RegistryView> view;
  std::unique_ptr<host::Authenticator> auth;
  std::unique_ptr<privacy::KeyVault> vault;
  std::unique_ptr<RegistryCommands> commands;
  std::unique_ptr<RegistryService> service;
  std::unique_ptr<host::ServiceHost> host;
  std::unique_ptr<v1::Registry::Stub> stub;
};

}  // namespace yilian::registry
