// Crashes on the bus: a consumer or an owning service (with its relay) SIGKILLed mid-run
// as a real process and restarted. Every projection must still hold every event once.

#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "bus_fixture.h"
#include "yilian/bus/embedded_broker.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/subprocess.h"
#include "yilian/testing/temp_dir.h"
#include "yilian/testing/wait.h"

namespace yilian::bus {
namespace {

using namespace std::chrono_literals;
using testing::ConsumerNode;
using testing::OwnerNode;
using testing::Subprocess;
using testing::WaitFor;

TEST(BusCrashTest, ConsumerKilledAndRestartedAppliesEverythingOnce) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto broker, EmbeddedBroker::Start({}));
  ASSERT_OK_AND_ASSIGN(auto owners,
                       testing::StartOwners(dir.path(), broker->bootstrap(), {"registry", "greenchannel"}));
  auto& registry = owners[0];
  auto& green = owners[1];
  const std::vector<std::string> argv = {YILIAN_BUS_NODE, "consumer",
                                         "--group",       "referral",
                                         "--dir",         dir.Sub("referral"),
                                         "--bootstrap",   broker->bootstrap(),
                                         "--source",      "registry=" + registry->feed_address(),
                                         "--source",      "greenchannel=" + green->feed_address()};
  std::thread w1([&] { EXPECT_OK(registry->Append(0, 50'000, 500)); });
  std::thread w2([&] { EXPECT_OK(green->Append(0, 50'000, 500)); });
  {
    Subprocess consumer(argv);
    ASSERT_TRUE(consumer.ReadUntil("applied", 20'000));
    consumer.Signal(SIGKILL);
    EXPECT_EQ(consumer.ExitCode(), -SIGKILL);
  }
  w1.join();
  w2.join();
  Subprocess consumer(argv);
  ASSERT_TRUE(consumer.ReadUntil("applied", 100'000));
  consumer.Signal(SIGTERM);
  EXPECT_EQ(consumer.ExitCode(), 0);
  ASSERT_OK_AND_ASSIGN(auto store, eventstore::Store::Open({.path = dir.Sub("referral")}));
  EXPECT_OK(testing::CheckExactlyOnce(*store, {&registry->journal(), &green->journal()}));
}

TEST(BusCrashTest, OwnerAndRelayKilledAndRestartedLoseNothingAndDeliverNothingTwice) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto broker, EmbeddedBroker::Start({}));
  ASSERT_OK_AND_ASSIGN(auto referral, ConsumerNode::Open("referral", dir.Sub("referral")));
  const std::vector<std::string> argv = {YILIAN_BUS_NODE,     "owner",       "--service",         "registry", "--dir",
                                         dir.Sub("registry"), "--bootstrap", broker->bootstrap(), "--events", "100000",
                                         "--aggregates",      "500"};
  std::string feed;
  {
    Subprocess owner(argv);
    ASSERT_TRUE(owner.ReadUntil("feed", 0, &feed));
    referral->SetFeed("registry", feed);
    ASSERT_OK(referral->StartConsumer(broker->bootstrap(), {"registry"}));
    ASSERT_TRUE(owner.ReadUntil("head", 30'000));
    owner.Signal(SIGKILL);
    EXPECT_EQ(owner.ExitCode(), -SIGKILL);
  }
  Subprocess owner(argv);
  ASSERT_TRUE(owner.ReadUntil("feed", 0, &feed));
  referral->SetFeed("registry", feed);
  ASSERT_TRUE(owner.ReadUntil("published", 100'000));
  ASSERT_TRUE(WaitFor([&] { return referral->Applied() == 100'000; }, 180s)) << referral->Applied();
  referral->StopConsumer();
  owner.Signal(SIGTERM);
  EXPECT_EQ(owner.ExitCode(), 0);

  ASSERT_OK_AND_ASSIGN(auto store, eventstore::Store::Open({.path = dir.Sub("registry")}));
  ASSERT_OK_AND_ASSIGN(auto journal, eventstore::Journal::Open(store.get(), {.source_service = "registry"}));
  EXPECT_EQ(journal->head().sequence, 100'000);
  EXPECT_OK(testing::CheckExactlyOnce(referral->store(), {journal.get()}));
}

}  // namespace
}  // namespace yilian::bus
