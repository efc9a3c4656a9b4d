// The exactly-once applier without any broker: messages handed to it as a transport would
// (value, headers, offset), a real source journal behind a catch-up feed, a real store.
#include "yilian/bus/applier.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "yilian/common/sha256.h"
#include "yilian/testing/bus_keys.h"
#include "yilian/testing/counter_projector.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::bus {
namespace {

using eventstore::Family;
using yilian::testing::CounterAppend;
using yilian::testing::CounterEvent;

// The source's journal, read as the catch-up feed reads it.
class JournalFeed : public EventSource {
 public:
  explicit JournalFeed(const eventstore::Journal* journal) : journal_(journal) {}
  absl::Status ReadJournal(const std::string&, int64_t from, int64_t to, EntryFn fn) override {
    ++reads;
    absl::Status s;
    auto n = journal_->Read(from, to - from + 1, [&](const eventstore::JournalEntry& e) {
      s = fn(e.sequence, e.hash, e.envelope);
      return s.ok();
    });
    return n.ok() ? s : n.status();
  }
  absl::Status ReadAggregate(const std::string&, const std::string& type, const std::string& id, int64_t from,
                             int64_t to, EntryFn fn) override {
    ++reads;
    absl::Status s;
    auto n = journal_->ReadAggregate(type, id, from, [&](const eventstore::JournalEntry& e) {
      auto env = eventstore::ParseEnvelope(e.envelope);
      if (!env.ok() || env->aggregate_version() > to) return false;
      s = fn(e.sequence, e.hash, e.envelope);
      return s.ok();
    });
    return n.ok() ? s : n.status();
  }
  int reads = 0;

 private:
  const eventstore::Journal* journal_;
};

class ApplierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(source_store_, eventstore::Store::Open({.path = dir_.Sub("source")}));
    ASSERT_OK_AND_ASSIGN(source_, eventstore::Journal::Open(source_store_.get(), {.source_service = "registry"}));
    ASSERT_OK_AND_ASSIGN(store_, eventstore::Store::Open({.path = dir_.Sub("consumer")}));
    feed_ = std::make_unique<JournalFeed>(source_.get());
    NewApplier(feed_.get());
  }
  void NewApplier(EventSource* feed) {
    applier_ = std::make_unique<Applier>(
        store_.get(), ApplierOptions{.group_id = "test", .projector = &projector_, .feed = feed, .keys = &keys_});
    part_ = PartitionState{.topic = "yilian.registry.events", .partition = 0, .source = "registry"};
    auto pos = applier_->StoredPosition(part_.topic, 0);
    ASSERT_OK(pos);
    part_.pos = *pos;
  }
  // Appends `events` counter events to the source's aggregate `id` (note on the last).
  void Append(const std::string& id, int events = 1, const std::string& note = "") {
    auto req = CounterAppend(id, eventstore::kAnyVersion, events);
    if (!note.empty()) req.events.back() = CounterEvent(1, note);
    ASSERT_OK(source_->Append(std::move(req)));
  }
  // The message the relay would send for source entry `sequence`, after `previous`.
  struct Message {
    std::string value;
    WireHeaders headers;
  };
  Message MessageOf(int64_t sequence, int64_t previous) {
    Message m;
    EXPECT_OK(source_->Read(sequence, 1, [&](const eventstore::JournalEntry& e) {
      m.value = std::string(e.envelope);
      auto env = eventstore::ParseEnvelope(e.envelope);
      EXPECT_OK(env);
      m.headers = {env->event_type(), "registry", sequence, previous, common::Sha256(e.envelope)};
      EXPECT_OK(keys_.Sign(m.headers));
      return true;
    }));
    return m;
  }
  absl::Status Deliver(const Message& m, int64_t offset) {
    return applier_->Stage(part_, Delivery{offset, m.value, m.headers}, [] { return 1; });
  }
  // The counter row the consumer's projector keeps for `id`.
  yilian::testing::v1::Counter Row(const std::string& id) {
    yilian::testing::v1::Counter c;
    auto row = store_->Get(Family::kConsumed, "counter/" + id);
    EXPECT_OK(row);
    if (row.ok() && *row) c.ParseFromString(**row);
    return c;
  }

  yilian::testing::TempDir dir_;
  std::unique_ptr<eventstore::Store> source_store_;
  std::unique_ptr<eventstore::Journal> source_;
  std::unique_ptr<eventstore::Store> store_;
  std::unique_ptr<JournalFeed> feed_;
  yilian::testing::CounterProjector projector_;
  const BusKeys keys_ = yilian::testing::TestBusKeys();
  std::unique_ptr<Applier> applier_;
  PartitionState part_;
};

TEST_F(ApplierTest, EachEventIsAppliedOnceAcrossRedeliveriesAndRestarts) {
  Append("a", 3);
  for (int64_t seq = 1; seq <= 3; ++seq) ASSERT_OK(Deliver(MessageOf(seq, seq - 1), seq - 1));
  // The transport goes back (a rebalance, a seek) and sends the last two again.
  ASSERT_OK(Deliver(MessageOf(2, 1), 1));
  ASSERT_OK(Deliver(MessageOf(3, 2), 2));
  ASSERT_OK_AND_ASSIGN(bool written, applier_->Flush());
  EXPECT_TRUE(written);
  EXPECT_EQ(Row("a").events(), 3);
  EXPECT_EQ(applier_->applied(), 3);
  EXPECT_EQ(applier_->duplicates(), 2);
  EXPECT_EQ(part_.pos.watermark(), 3);
  EXPECT_EQ(part_.pos.next_offset(), 3);

  // A restart resumes from the stored position: what comes again is a duplicate.
  NewApplier(feed_.get());
  EXPECT_EQ(part_.pos.watermark(), 3);
  ASSERT_OK(Deliver(MessageOf(3, 2), 2));
  ASSERT_OK(applier_->Flush().status());
  EXPECT_EQ(applier_->duplicates(), 1);
  EXPECT_EQ(applier_->applied(), 0);
  EXPECT_EQ(Row("a").events(), 3);
  EXPECT_EQ(feed_->reads, 0);
}

TEST_F(ApplierTest, AGapInThePartitionIsFilledFromTheFeedFirst) {
  Append("a", 2);
  Append("b", 2);
  ASSERT_OK(Deliver(MessageOf(1, 0), 0));
  // Offsets were lost: the next message says the partition's previous entry was 3.
  ASSERT_OK(Deliver(MessageOf(4, 3), 1));
  ASSERT_OK(applier_->Flush().status());
  EXPECT_EQ(Row("a").events(), 2);
  EXPECT_EQ(Row("b").events(), 2);
  EXPECT_EQ(applier_->filled(), 2);
  EXPECT_EQ(part_.pos.watermark(), 4);
  EXPECT_GE(feed_->reads, 1);
}

TEST_F(ApplierTest, AGapWithoutAFeedChangesNothingAndIsReportedForARetry) {
  NewApplier(nullptr);
  Append("a", 2);
  ASSERT_OK(Deliver(MessageOf(1, 0), 0));
  const auto before = part_.pos;
  auto s = Deliver(MessageOf(2, 5), 1);  // says 5 came before: missing, and no feed to ask
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(part_.pos.SerializeAsString(), before.SerializeAsString());
  ASSERT_OK(applier_->Flush().status());
  EXPECT_EQ(Row("a").events(), 1);
}

TEST_F(ApplierTest, AnUnreadableMessageIsParkedAndSkipped) {
  Append("a", 2);
  Message bad = MessageOf(1, 0);
  bad.value.back() ^= 0x01;  // its hash no longer matches
  ASSERT_OK(Deliver(bad, 0));
  ASSERT_OK(Deliver(MessageOf(2, 1), 1));
  ASSERT_OK(applier_->Flush().status());
  EXPECT_EQ(applier_->parked(), 1);
  ASSERT_OK_AND_ASSIGN(auto parked, Applier::ListParked(*store_, 10, ""));
  ASSERT_EQ(parked.parked_size(), 1);
  EXPECT_EQ(parked.parked(0).offset(), 0);
  EXPECT_EQ(parked.parked(0).source_sequence(), 1);
  EXPECT_NE(parked.parked(0).reason().find("yilian-sha256"), std::string::npos) << parked.parked(0).reason();
  EXPECT_EQ(parked.parked(0).value(), "");  // listed without its bytes
  EXPECT_EQ(part_.pos.next_offset(), 2);
}

TEST_F(ApplierTest, AnUnverifiableMessageIsParkedWithoutMovingTheWatermark) {
  Append("a", 2);
  Message unsigned_one = MessageOf(1, 0);
  unsigned_one.headers.mac.clear();
  unsigned_one.headers.key_id.clear();
  ASSERT_OK(Deliver(unsigned_one, 0));
  // A stand-in for a far sequence, signed with another secret: were it believed, the
  // consumer would ask the feed for entries that do not exist and pause.
  Message stand_in = MessageOf(2, 1);
  stand_in.headers.sequence = int64_t{1} << 40;
  stand_in.headers.stand_in = true;
  stand_in.value.clear();
  ASSERT_OK(BusKeys::Parse("registry test-1 " + std::string(64, 'f'))->Sign(stand_in.headers));
  ASSERT_OK(Deliver(stand_in, 1));
  EXPECT_EQ(part_.pos.watermark(), 0);
  EXPECT_EQ(part_.pos.next_offset(), 2);
  EXPECT_EQ(applier_->applied(), 0);
  EXPECT_EQ(applier_->unverified(), 2);
  // The genuine messages still apply, in order.
  ASSERT_OK(Deliver(MessageOf(1, 0), 2));
  ASSERT_OK(Deliver(MessageOf(2, 1), 3));
  ASSERT_OK(applier_->Flush().status());
  EXPECT_EQ(Row("a").events(), 2);
  EXPECT_EQ(part_.pos.watermark(), 2);
  ASSERT_OK_AND_ASSIGN(auto parked, Applier::ListParked(*store_, 10, ""));
  ASSERT_EQ(parked.parked_size(), 2);
  for (const auto& p : parked.parked())
    EXPECT_NE(p.reason().find("unverifiable message"), std::string::npos) << p.reason();
}

TEST_F(ApplierTest, ARefusedEventBlocksItsAggregateButNotTheOthers) {
  Append("a", 1, "poison");  // 1: the consumer's projector refuses it
  Append("a", 1);            // 2: parked behind it, to keep the aggregate's order
  Append("b", 1);            // 3: flows
  for (int64_t seq = 1; seq <= 3; ++seq) ASSERT_OK(Deliver(MessageOf(seq, seq - 1), seq - 1));
  ASSERT_OK(applier_->Flush().status());
  EXPECT_EQ(applier_->parked(), 2);
  EXPECT_EQ(Row("a").events(), 0);
  EXPECT_EQ(Row("b").events(), 1);
  ASSERT_OK_AND_ASSIGN(auto parked, Applier::ListParked(*store_, 10, ""));
  ASSERT_EQ(parked.parked_size(), 2);
  std::map<int64_t, std::string> reasons;
  for (const auto& p : parked.parked()) reasons[p.aggregate_version()] = p.reason();
  EXPECT_NE(reasons[1].find("projector refused"), std::string::npos) << reasons[1];
  EXPECT_NE(reasons[2].find("blocked behind its parked version 1"), std::string::npos) << reasons[2];
}

}  // namespace
}  // namespace yilian::bus
