// Exactly-once delivery through the embedded broker (librdkafka's mock cluster, 3 brokers),
// with real journals, real catch-up feeds on gRPC and real consumer stores.

#include <gtest/gtest.h>

#include <thread>

#include "bus_fixture.h"
#include "yilian/bus/embedded_broker.h"
#include "yilian/bus/propagation.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"
#include "yilian/testing/wait.h"

namespace yilian::bus {
namespace {

using testing::CheckExactlyOnce;
using testing::ConsumerNode;
using testing::CounterRows;
using testing::OwnerNode;
using testing::WaitFor;
using namespace std::chrono_literals;

std::unique_ptr<ConsumerNode> Consumer(const std::string& group, const std::string& dir,
                                       const std::vector<OwnerNode*>& owners, const std::string& bootstrap) {
  auto c = ConsumerNode::Open(group, dir);
  EXPECT_OK(c.status());
  std::vector<std::string> sources;
  for (auto* o : owners) {
    (*c)->SetFeed(o->service(), o->feed_address());
    sources.push_back(o->service());
  }
  EXPECT_OK((*c)->StartConsumer(bootstrap, sources));
  return std::move(*c);
}

// Every assigned partition has been read to the broker's end.
bool CaughtUp(ConsumerNode& c, int partitions) {
  auto st = c.consumer()->status();
  if (st.partitions_size() != partitions) return false;
  for (const auto& p : st.partitions())
    if (p.lag() != 0) return false;
  return true;
}

TEST(DeliveryTest, HundredThousandEventsFromTwoServicesThroughABrokerOutage) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto broker, EmbeddedBroker::Start({}));
  ASSERT_OK_AND_ASSIGN(auto owners,
                       testing::StartOwners(dir.path(), broker->bootstrap(), {"registry", "greenchannel"}));
  auto& registry = owners[0];
  auto& green = owners[1];
  auto referral = Consumer("referral", dir.Sub("referral"), {registry.get(), green.get()}, broker->bootstrap());
  auto audit = Consumer("audit", dir.Sub("audit"), {registry.get(), green.get()}, broker->bootstrap());

  std::thread w1([&] { EXPECT_OK(registry->Append(0, 50'000, 500)); });
  std::thread w2([&] { EXPECT_OK(green->Append(0, 50'000, 500)); });
  ASSERT_TRUE(WaitFor([&] { return referral->Applied() >= 20'000; }, 180s));
  ASSERT_OK(broker->SetBrokerDown(2));  // its partitions' leadership moves to brokers 1 and 3
  w1.join();
  w2.join();
  ASSERT_OK(broker->SetBrokerUp(2));
  ASSERT_TRUE(WaitFor([&] { return referral->Applied() == 100'000 && audit->Applied() == 100'000; }, 180s))
      << referral->Applied() << " / " << audit->Applied();
  // Every applied event's commit -> applied latency was observed once, under its source.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto st = audit->consumer()->status();
        return st.propagation_size() == 2 && st.propagation(0).count() + st.propagation(1).count() == 100'000;
      },
      60s))
      << audit->consumer()->status().DebugString();
  const auto audit_status = audit->consumer()->status();
  for (const auto& p : audit_status.propagation()) {
    EXPECT_TRUE(p.source() == "greenchannel" || p.source() == "registry") << p.source();
    EXPECT_EQ(p.count(), 50'000) << p.source();
    const PropagationWindow w = Subtract(p, nullptr);
    EXPECT_EQ(w.count, 50'000);
    EXPECT_GT(p.max_ms(), 0);
    EXPECT_LE(w.Percentile(0.5), w.Percentile(0.99));
    EXPECT_GE(w.MaxBoundMs(), p.max_ms());
  }
  referral->StopConsumer();
  audit->StopConsumer();
  EXPECT_OK(CheckExactlyOnce(referral->store(), {&registry->journal(), &green->journal()}));
  EXPECT_OK(CheckExactlyOnce(audit->store(), {&registry->journal(), &green->journal()}));
}

TEST(DeliveryTest, EvictedOffsetsAreFilledFromTheFeedAndAFreshBrokerIsRefilled) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto broker, EmbeddedBroker::Start({}));
  ASSERT_OK_AND_ASSIGN(auto registry, OwnerNode::Start("registry", dir.Sub("registry")));
  ASSERT_OK(registry->StartRelay(broker->bootstrap()));
  auto referral = Consumer("referral", dir.Sub("referral"), {registry.get()}, broker->bootstrap());
  auto audit = Consumer("audit", dir.Sub("audit"), {registry.get()}, broker->bootstrap());
  ASSERT_OK(registry->Append(0, 5'000, 200));
  ASSERT_TRUE(WaitFor([&] { return referral->Applied() == 5'000 && audit->Applied() == 5'000; }, 180s));

  // Audit goes away; 12,000 events of 4 KiB (about 12 MiB per partition) push the broker
  // past its 5 MiB per partition, so the offsets audit stopped at are evicted.
  audit->StopConsumer();
  ASSERT_OK(registry->Append(5'000, 12'000, 200, 4096));
  ASSERT_TRUE(WaitFor([&] { return referral->Applied() == 17'000; }, 180s));
  ASSERT_OK(audit->StartConsumer(broker->bootstrap(), {"registry"}));
  ASSERT_TRUE(WaitFor([&] { return audit->Applied() == 17'000; }, 180s)) << audit->Applied();
  EXPECT_GT(audit->consumer()->status().filled(), 0) << "the gap should have come from the feed";
  EXPECT_OK(CheckExactlyOnce(audit->store(), {&registry->journal()}));

  // The broker is replaced by a fresh, empty one. The relay sees offsets it had been
  // acknowledged are gone and republishes the journal; consumers skip it all.
  const auto before = CounterRows(referral->store());
  registry->StopRelay();
  referral->StopConsumer();
  audit->StopConsumer();
  broker.reset();
  ASSERT_OK_AND_ASSIGN(broker, EmbeddedBroker::Start({}));
  // The consumer comes back first: its stored offsets are past the empty broker's end, so
  // it starts over from the beginning and skips whatever the relay sends it again.
  ASSERT_OK(referral->StartConsumer(broker->bootstrap(), {"registry"}));
  ASSERT_TRUE(WaitFor([&] { return referral->consumer()->status().partitions_size() == 4; }, 180s));
  ASSERT_OK(registry->StartRelay(broker->bootstrap()));
  const int64_t head = registry->journal().head().sequence;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto st = registry->relay()->status();
        return st.republishes == 1 && st.published == head;
      },
      180s));
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(*referral, 4); }, 180s));
  EXPECT_EQ(CounterRows(referral->store()), before) << "a republished journal must change no projection";

  ASSERT_OK(audit->StartConsumer(broker->bootstrap(), {"registry"}));
  ASSERT_OK(registry->Append(17'000, 3'000, 200));
  ASSERT_TRUE(WaitFor([&] { return referral->Applied() == 20'000 && audit->Applied() == 20'000; }, 180s));
  referral->StopConsumer();
  audit->StopConsumer();
  EXPECT_OK(CheckExactlyOnce(referral->store(), {&registry->journal()}));
  EXPECT_OK(CheckExactlyOnce(audit->store(), {&registry->journal()}));
}

TEST(DeliveryTest, ARelayThatForgotItsPositionRepublishesAndConsumersSkipEverything) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto broker, EmbeddedBroker::Start({}));
  ASSERT_OK_AND_ASSIGN(auto registry, OwnerNode::Start("registry", dir.Sub("registry")));
  ASSERT_OK(registry->StartRelay(broker->bootstrap()));
  auto referral = Consumer("referral", dir.Sub("referral"), {registry.get()}, broker->bootstrap());
  ASSERT_OK(registry->Append(0, 2'000, 50));
  ASSERT_TRUE(WaitFor([&] { return referral->Applied() == 2'000; }, 180s));

  registry->StopRelay();
  auto& store = registry->store();
  ASSERT_OK(store.Delete(eventstore::Family::kMeta, "bus/relay/" + TopicFor("registry")));
  ASSERT_OK(registry->StartRelay(broker->bootstrap()));  // publishes all 2,000 again
  ASSERT_TRUE(WaitFor([&] { return referral->consumer()->status().duplicates() == 2'000; }, 180s))
      << referral->consumer()->status().DebugString();
  EXPECT_EQ(referral->Applied(), 2'000);
  referral->StopConsumer();
  EXPECT_OK(CheckExactlyOnce(referral->store(), {&registry->journal()}));
}

TEST(DeliveryTest, AnEntryKafkaRefusesIsReadFromTheFeedAndTheRestKeepsFlowing) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto broker, EmbeddedBroker::Start({}));
  ASSERT_OK_AND_ASSIGN(auto owners, testing::StartOwners(dir.path(), broker->bootstrap(), {"registry"}));
  auto& registry = owners[0];
  // The producer takes messages of at most 4,000 bytes: the 8,000-byte entries are refused.
  ASSERT_OK(registry->StartRelay(broker->bootstrap(), {{"message.max.bytes", "4000"}}));
  auto referral = Consumer("referral", dir.Sub("referral"), {registry.get()}, broker->bootstrap());
  ASSERT_OK(registry->Append(0, 50, 10));
  ASSERT_OK(registry->Append(50, 1, 10, /*pad=*/8000));
  ASSERT_OK(registry->Append(51, 50, 10));
  ASSERT_OK(registry->Append(101, 1, 10, /*pad=*/8000));  // the last entry: only its stand-in follows
  ASSERT_TRUE(WaitFor([&] { return referral->Applied() == 102; }, 120s)) << referral->Applied();
  EXPECT_OK(CheckExactlyOnce(referral->store(), {&registry->journal()}));
  ASSERT_TRUE(WaitFor(
      [&] {
        const auto st = registry->relay()->status();
        return st.refused == 2 && st.published == 102;  // passed over, not retried forever
      },
      60s))
      << registry->relay()->status().refused << " refused, " << registry->relay()->status().published;
  // The two came from the feed (the status is a snapshot, refreshed every 100 ms).
  EXPECT_TRUE(WaitFor([&] { return referral->consumer()->status().filled() >= 2; }, 60s))
      << referral->consumer()->status().DebugString();
}

}  // namespace
}  // namespace yilian::bus
