// The registry as its own process publishes through the embedded broker, and a consumer in
// another process sees every registry event, once each and in aggregate order.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <map>

#include "bus_fixture.h"
#include "import.h"
#include "yilian/bus/embedded_broker.h"
#include "yilian/host/authenticator.h"
#include "yilian/testing/bus_keys.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/subprocess.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::registry {

namespace rv1 = ::yilian::registry::v1;
namespace {

using testing::Subprocess;

TEST(RegistryBusTest, AConsumerInAnotherProcessSeesEveryRegistryEvent) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto broker, bus::EmbeddedBroker::Start({}));
  const std::string tokens = dir.Sub("tokens");
  std::ofstream(tokens) << "sha256:" << host::TokenHash("admin-secret") << " admin@loudi loudi-1st consortium-admin\n"
                        << "sha256:" << host::TokenHash(yilian::testing::kFeedToken) << " referral - service\n";
  std::ofstream(dir.Sub("master.key")) << std::string(64, 'a') << "\n";
  std::ofstream(dir.Sub("bus.keys")) << yilian::testing::TestBusKeysText();
  Subprocess registry({YILIAN_REGISTRY_BIN, "--data.dir=" + dir.Sub("registry"),
                       "--kafka.bootstrap=" + broker->bootstrap(), "--tokens.file=" + tokens, "--log.level=warn",
                       "--privacy.master_key_file=" + dir.Sub("master.key"), "--bus.keys_file=" + dir.Sub("bus.keys")});
  std::string address;
  ASSERT_TRUE(registry.ReadUntil("listening", 0, &address));

  ASSERT_OK_AND_ASSIGN(ImportPlan plan, ParseImportFile(YILIAN_SAMPLE_FILE));
  auto stub = rv1::Registry::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  ASSERT_OK_AND_ASSIGN(ImportReport report, Import(*stub, "admin-secret", plan));
  const int64_t events = report.created;
  ASSERT_GT(events, 50);

  Subprocess consumer({YILIAN_BUS_NODE, "consumer", "--group", "referral", "--dir", dir.Sub("referral"), "--bootstrap",
                       broker->bootstrap(), "--source", "registry=" + address, "--any-events"});
  ASSERT_TRUE(consumer.ReadUntil("applied", events));
  consumer.Signal(SIGTERM);
  EXPECT_EQ(consumer.ExitCode(), 0);
  registry.Signal(SIGTERM);
  EXPECT_EQ(registry.ExitCode(), 0);

  // Every aggregate the registry journaled is in the consumer at its final version.
  ASSERT_OK_AND_ASSIGN(auto rstore, eventstore::Store::Open({.path = dir.Sub("registry")}));
  ASSERT_OK_AND_ASSIGN(auto journal, eventstore::Journal::Open(rstore.get(), {.source_service = "registry"}));
  std::map<std::string, std::string> want;
  ASSERT_OK(journal
                ->Read(1, 0,
                       [&](const eventstore::JournalEntry& e) {
                         auto env = eventstore::ParseEnvelope(e.envelope);
                         EXPECT_OK(env.status());
                         want[absl::StrCat("events/registry/", env->aggregate_type(), "/", env->aggregate_id())] =
                             absl::StrCat(env->aggregate_version());
                         return true;
                       })
                .status());
  EXPECT_EQ(journal->head().sequence, events);
  ASSERT_OK_AND_ASSIGN(auto cstore, eventstore::Store::Open({.path = dir.Sub("referral")}));
  std::map<std::string, std::string> got;
  ASSERT_OK(cstore
                ->Scan(eventstore::Family::kConsumed, "events/", "",
                       [&](std::string_view k, std::string_view v) {
                         got.emplace(k, v);
                         return true;
                       })
                .status());
  EXPECT_EQ(got, want);
  EXPECT_EQ(yilian::testing::ParkedCount(*cstore), 0);
}

}  // namespace
}  // namespace yilian::registry
