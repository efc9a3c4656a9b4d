// Poison on the bus: corrupt and forged messages and events the projector refuses are parked,
// listed through the BusAdmin RPC, and do not stop the other aggregates.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "bus_fixture.h"
#include "yilian/bus/admin_service.h"
#include "yilian/bus/applier.h"
#include "yilian/bus/bus_keys.h"
#include "yilian/bus/consumer.h"
#include "yilian/bus/embedded_broker.h"
#include "yilian/bus/event_source.h"
#include "yilian/bus/kafka_settings.h"
#include "yilian/bus/wire.h"
#include "yilian/common/sha256.h"
#include "yilian/testing/bus_keys.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"
#include "yilian/testing/v1/testing.pb.h"
#include "yilian/testing/wait.h"

namespace yilian::bus {
namespace {

using namespace std::chrono_literals;
using testing::ConsumerNode;
using testing::OwnerNode;
using testing::WaitFor;

// Produces raw messages straight to a topic, as a broken or hostile client would.
void ProduceRaw(const std::string& bootstrap, const std::string& topic, int32_t partition, const std::string& value,
                rd_kafka_headers_t* hdrs) {
  auto conf = NewKafkaConf({bootstrap, "vandal", {}}, {{"acks", "all"}});
  ASSERT_OK(conf.status());
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, *conf, err, sizeof err);
  ASSERT_NE(rk, nullptr) << err;
  rd_kafka_resp_err_t e =
      hdrs ? rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                               RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                               RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END)
           : rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                               RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                               RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  EXPECT_EQ(e, RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(rd_kafka_flush(rk, 60'000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(rk);
}

// A registry relaying to the embedded broker, and a "referral" consumer of it.
class ParkingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(broker, EmbeddedBroker::Start({}));
    ASSERT_OK_AND_ASSIGN(registry, OwnerNode::Start("registry", dir.Sub("registry")));
    ASSERT_OK(registry->StartRelay(broker->bootstrap()));
    ASSERT_OK_AND_ASSIGN(referral, ConsumerNode::Open("referral", dir.Sub("referral")));
    referral->SetFeed("registry", registry->feed_address());
    ASSERT_OK(referral->StartConsumer(broker->bootstrap(), {"registry"}));
  }
  testing::TempDir dir;
  std::unique_ptr<EmbeddedBroker> broker;
  std::unique_ptr<OwnerNode> registry;
  std::unique_ptr<ConsumerNode> referral;
};

TEST_F(ParkingTest, CorruptAndRefusedEventsAreParkedListedAndDoNotBlockOthers) {
  auto auth = host::Authenticator::FromTokens({{"ops", {"ops", "", common::Role::ROLE_CONSORTIUM_ADMIN}},
                                               {"doc", {"dr.li", "h1", common::Role::ROLE_CLINICIAN}}});
  BusAdminService admin(referral->consumer(), auth.RequireRoles({common::Role::ROLE_CONSORTIUM_ADMIN}));
  ASSERT_OK_AND_ASSIGN(auto host, host::ServiceHost::Start({.service_name = "referral"}, auth, {&admin}));
  auto stub = v1::BusAdmin::NewStub(grpc::CreateChannel(host->address(), grpc::InsecureChannelCredentials()));

  ASSERT_OK(registry->Append(0, 1'000, 10));
  // Two corrupt messages in partition 0: one without headers, one whose value fails its hash.
  const std::string topic = TopicFor("registry");
  ProduceRaw(broker->bootstrap(), topic, 0, "garbage", nullptr);
  WireHeaders mismatch{"testing.CounterIncremented", "registry", 5, 0, common::Sha256("something else")};
  ASSERT_OK(yilian::testing::TestBusKeys().Sign(mismatch));  // signed, so only its hash is wrong
  ProduceRaw(broker->bootstrap(), topic, 0, "not an envelope", NewHeaders(mismatch));
  // An aggregate whose second event the projector refuses; its third is parked behind it.
  auto poison = yilian::testing::CounterAppend("registry-poison", eventstore::kNoStream, 3);
  poison.events[1] = yilian::testing::CounterEvent(1, "poison");
  ASSERT_OK(registry->journal().Append(poison).status());
  ASSERT_OK(registry->Append(1'000, 1'000, 10));

  ASSERT_TRUE(
      WaitFor([&] { return referral->Applied() == 2'001 && testing::ParkedCount(referral->store()) == 4; }, 180s))
      << referral->Applied() << " applied, " << testing::ParkedCount(referral->store()) << " parked";
  const auto rows = testing::CounterRows(referral->store());
  for (int i = 0; i < 10; ++i) {
    yilian::testing::v1::Counter c;
    c.ParseFromString(rows.at("counter/registry-" + std::to_string(i)));
    EXPECT_EQ(c.events(), 200) << "aggregate " << i;
  }

  // Listed page by page, without their bytes, only to an authorised caller.
  std::vector<v1::ParkedEvent> listed;
  std::string token;
  do {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer ops");
    v1::ListParkedRequest req;
    req.set_page_size(3);
    req.set_page_token(token);
    v1::ListParkedResponse resp;
    ASSERT_TRUE(stub->ListParked(&ctx, req, &resp).ok());
    for (const auto& p : resp.parked()) listed.push_back(p);
    token = resp.next_page_token();
  } while (!token.empty());
  ASSERT_EQ(listed.size(), 4u);
  int unreadable = 0, refused = 0, blocked = 0;
  for (const auto& p : listed) {
    EXPECT_TRUE(p.value().empty());
    EXPECT_EQ(p.topic(), topic);
    unreadable += p.reason().find("unreadable message") != std::string::npos;
    if (p.reason().find("projector refused") != std::string::npos) {
      ++refused;
      EXPECT_EQ(p.aggregate_id(), "registry-poison");
      EXPECT_EQ(p.aggregate_version(), 2);
    }
    if (p.reason().find("blocked behind") != std::string::npos) {
      ++blocked;
      EXPECT_EQ(p.aggregate_version(), 3);
    }
  }
  EXPECT_EQ(unreadable, 2);
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(blocked, 1);

  ASSERT_TRUE(WaitFor([&] { return referral->consumer()->status().parked() >= 4; }, 60s));  // ~100 ms snapshots
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer ops");
  v1::GetConsumerStatusResponse st;
  ASSERT_TRUE(stub->GetConsumerStatus(&ctx, {}, &st).ok());
  EXPECT_EQ(st.group_id(), "referral");
  EXPECT_EQ(st.partitions_size(), 4);
  EXPECT_GE(st.parked(), 4);

  grpc::ClientContext doc;
  doc.AddMetadata("authorization", "Bearer doc");
  v1::ListParkedResponse denied;
  EXPECT_EQ(stub->ListParked(&doc, {}, &denied).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext bad;
  bad.AddMetadata("authorization", "Bearer ops");
  v1::ListParkedRequest req;
  req.set_page_token("not-a-token");
  EXPECT_EQ(stub->ListParked(&bad, req, &denied).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// A genuine journal entry of `node` at `sequence`, as stored.
std::string EntryAt(OwnerNode& node, int64_t sequence) {
  std::string bytes;
  EXPECT_OK(node.journal().Read(sequence, 1, [&](const eventstore::JournalEntry& e) {
    bytes = std::string(e.envelope);
    return false;
  }));
  return bytes;
}

TEST_F(ParkingTest, ForgedMessagesAreParkedUnappliedAndGenuineEventsKeepFlowing) {
  ASSERT_OK(registry->Append(0, 500, 10));
  ASSERT_TRUE(WaitFor([&] { return referral->Applied() == 500; }, 180s)) << referral->Applied();

  // What a client able to write to the topic, without the registry's key, tries: the next
  // event of aggregate registry-0 (version 51) at the next sequence, and worse.
  const std::string topic = TopicFor("registry");
  const int32_t partition = PartitionFor("registry-0", 4);
  ASSERT_OK_AND_ASSIGN(auto env, eventstore::ParseEnvelope(EntryAt(*registry, 491)));  // registry-0 v50
  ASSERT_EQ(env.aggregate_id(), "registry-0");
  env.set_aggregate_version(51);
  env.set_source_sequence(501);
  const std::string forged = env.SerializeAsString();
  const BusKeys stranger = *BusKeys::Parse("registry test-1 " + std::string(64, '7'));
  auto produce = [&](WireHeaders h, const std::string& value) {
    ProduceRaw(broker->bootstrap(), topic, partition, value, NewHeaders(h));
  };
  WireHeaders next{env.event_type(), "registry", 501, 491, common::Sha256(forged)};
  WireHeaders wrong_key = next;
  ASSERT_OK(stranger.Sign(wrong_key));
  produce(wrong_key, forged);
  produce(next, forged);    // unsigned
  WireHeaders huge = next;  // a sequence after which every genuine event would look like a duplicate
  huge.sequence = int64_t{1} << 62;
  huge.key_id = "evil";
  huge.mac = std::string(32, 'x');
  env.set_source_sequence(huge.sequence);
  produce(huge, env.SerializeAsString());
  WireHeaders stand_in{env.event_type(), "registry", int64_t{1} << 61, 491, common::Sha256(forged), true};
  ASSERT_OK(stranger.Sign(stand_in));  // a stand-in would send the consumer to the feed up to it
  produce(stand_in, "");
  // A genuine message replayed: sequence 491 as the registry's relay signed it.
  const std::string old = EntryAt(*registry, 491);
  WireHeaders replayed{"testing.CounterIncremented", "registry", 491, 481, common::Sha256(old)};
  replayed.partition = partition;
  ASSERT_OK(yilian::testing::TestBusKeys().Sign(replayed));
  produce(replayed, old);
  // The next genuine message, copied by someone into another partition ahead of the relay:
  // believed there, it would move that partition's watermark past events it has not seen.
  WireHeaders copied = next;
  copied.partition = partition;
  ASSERT_OK(yilian::testing::TestBusKeys().Sign(copied));
  ProduceRaw(broker->bootstrap(), topic, (partition + 1) % 4, forged, NewHeaders(copied));

  ASSERT_OK(registry->Append(500, 500, 10));
  ASSERT_TRUE(
      WaitFor([&] { return referral->Applied() == 1'000 && referral->consumer()->status().unverified() == 5; }, 180s))
      << referral->Applied() << " applied, " << referral->consumer()->status().DebugString();
  const auto rows = testing::CounterRows(referral->store());
  for (int i = 0; i < 10; ++i) {
    yilian::testing::v1::Counter c;
    c.ParseFromString(rows.at("counter/registry-" + std::to_string(i)));
    EXPECT_EQ(c.events(), 100) << "aggregate " << i;
  }
  ASSERT_OK_AND_ASSIGN(auto parked, Applier::ListParked(referral->store(), 100, ""));
  ASSERT_EQ(parked.parked_size(), 5);
  for (const auto& p : parked.parked())
    EXPECT_NE(p.reason().find("unverifiable message"), std::string::npos) << p.reason();
  const auto status = referral->consumer()->status();
  EXPECT_EQ(status.parked(), 5);
  EXPECT_GE(status.duplicates(), 1);  // the replay
}

// Refuses with UNAVAILABLE (store trouble, not the event's fault) a few times, then works.
class FlakyProjector : public eventstore::Projector {
 public:
  absl::Status Apply(const events::v1::Envelope& event, eventstore::ProjectionBatch& rows) override {
    if (failures_left > 0) {
      --failures_left;
      return absl::UnavailableError("disk hiccup");
    }
    return inner_.Apply(event, rows);
  }
  std::atomic<int> failures_left{3};

 private:
  yilian::testing::CounterProjector inner_;
};

TEST(ParkingRetryTest, TransientProjectorErrorsAreRetriedNotParked) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto broker, EmbeddedBroker::Start({}));
  ASSERT_OK_AND_ASSIGN(auto registry, OwnerNode::Start("registry", dir.Sub("registry")));
  ASSERT_OK(registry->StartRelay(broker->bootstrap()));
  ASSERT_OK(registry->Append(0, 500, 10));
  ASSERT_OK_AND_ASSIGN(auto store, eventstore::Store::Open({.path = dir.Sub("referral")}));
  GrpcEventSource feed({{"registry", {registry->feed_address(), yilian::testing::kFeedToken, ""}}});
  FlakyProjector projector;
  ConsumerOptions options;
  options.kafka = {broker->bootstrap(), "referral", {{"session.timeout.ms", "6000"}}};
  options.kafka.keys = yilian::testing::TestBusKeys();
  options.group_id = "referral";
  options.sources = {"registry"};
  options.projector = &projector;
  options.feed = &feed;
  options.retry_backoff = absl::Milliseconds(100);
  ASSERT_OK_AND_ASSIGN(auto consumer, BusConsumer::Start(store.get(), options));
  ASSERT_TRUE(WaitFor([&] { return consumer->status().applied() == 500; }, 180s)) << consumer->status().DebugString();
  consumer.reset();
  EXPECT_EQ(projector.failures_left, 0);
  EXPECT_EQ(testing::ParkedCount(*store), 0);
  EXPECT_OK(testing::CheckExactlyOnce(*store, {&registry->journal()}));
}

}  // namespace
}  // namespace yilian::bus
