// Rebuild: dropping the projections and replaying the journal gives the same rows.
#include <future>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "yilian/testing/counter_projector.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::eventstore {
namespace {

// Like the referral projector's worklists: each event moves its aggregate's index row
// ("idx/<total>/<id>": the old one deleted, a new one put), and an event of amount 0 deletes the
// aggregate's row and index row altogether (the next event starts it again). So rows are put and
// deleted within one rebuild chunk, and deleted in a later chunk than the one that put them.
class MovingIndexProjector : public Projector {
 public:
  absl::Status Apply(const events::v1::Envelope& event, ProjectionBatch& rows) override {
    yilian::testing::v1::CounterIncremented inc;
    if (!event.payload().UnpackTo(&inc)) return absl::InvalidArgumentError("not a counter event");
    const std::string key = absl::StrCat("row/", event.aggregate_id());
    auto row = rows.Get(key);
    if (!row.ok()) return row.status();
    int64_t total = 0;
    if (*row) {
      if (!absl::SimpleAtoi(**row, &total)) return absl::DataLossError("bad row");
      rows.Delete(absl::StrCat("idx/", total, "/", event.aggregate_id()));
    }
    if (inc.amount() == 0) {
      rows.Delete(key);
      return absl::OkStatus();
    }
    total += inc.amount();
    rows.Put(key, absl::StrCat(total));
    rows.Put(absl::StrCat("idx/", total, "/", event.aggregate_id()), "");
    return absl::OkStatus();
  }
};

TEST(RebuildTest, RowsMovedAndDeletedAcrossChunksRebuildToTheSameRows) {
  yilian::testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, Store::Open({.path = dir.Sub("db")}));
  MovingIndexProjector projector;
  ASSERT_OK_AND_ASSIGN(auto journal, Journal::Open(store.get(), {.source_service = "rb", .projector = &projector}));
  constexpr int kTotal = 100'000;  // three rebuild chunks and a part
  ASSERT_OK(yilian::testing::AppendAll(*journal, kTotal, [](int i) {
    auto req = yilian::testing::CounterAppend(absl::StrCat("agg-", (i * 7919) % 3000), kAnyVersion);
    req.events[0] = yilian::testing::CounterEvent(i % 13);  // amount 0: the aggregate's rows deleted
    return req;
  }));
  ASSERT_OK_AND_ASSIGN(const std::string before, store->Dump(Family::kProjection));
  ASSERT_NE(before.find("idx/"), std::string::npos);

  ASSERT_OK(journal->RebuildProjections());
  ASSERT_OK_AND_ASSIGN(const std::string after, store->Dump(Family::kProjection));
  EXPECT_EQ(before, after);
}

TEST(RebuildTest, RebuiltProjectionOf100kEventsEqualsTheOriginal) {
  yilian::testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, Store::Open({.path = dir.Sub("db")}));
  yilian::testing::CounterProjector projector;
  ASSERT_OK_AND_ASSIGN(auto journal, Journal::Open(store.get(), {.source_service = "rb", .projector = &projector}));
  constexpr int kTotal = 100'000;
  ASSERT_OK(yilian::testing::AppendAll(*journal, kTotal, [](int i) {
    auto req = yilian::testing::CounterAppend(absl::StrCat("agg-", (i * 7919) % 5000), kAnyVersion);
    req.events[0] = yilian::testing::CounterEvent(i % 17);
    return req;
  }));
  ASSERT_OK_AND_ASSIGN(const std::string before, store->Dump(Family::kProjection));
  ASSERT_FALSE(before.empty());

  ASSERT_OK(journal->RebuildProjections());
  ASSERT_OK_AND_ASSIGN(const std::string after, store->Dump(Family::kProjection));
  EXPECT_EQ(before, after);

  // And after a restart the rebuilt rows are still there, and appends continue on them.
  journal.reset();
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, Store::Open({.path = dir.Sub("db")}));
  ASSERT_OK_AND_ASSIGN(journal, Journal::Open(store.get(), {.source_service = "rb", .projector = &projector}));
  ASSERT_OK_AND_ASSIGN(const std::string reopened, store->Dump(Family::kProjection));
  EXPECT_EQ(before, reopened);
  ASSERT_OK(journal->Append(yilian::testing::CounterAppend("agg-1", kAnyVersion)));
}

TEST(RebuildTest, AnInterruptedRebuildIsFinishedAtOpen) {
  yilian::testing::TempDir dir;
  yilian::testing::CounterProjector projector;
  std::string before;
  {
    ASSERT_OK_AND_ASSIGN(auto store, Store::Open({.path = dir.Sub("db")}));
    ASSERT_OK_AND_ASSIGN(auto journal, Journal::Open(store.get(), {.source_service = "rb", .projector = &projector}));
    for (int i = 0; i < 300; ++i)
      ASSERT_OK(journal->Append(yilian::testing::CounterAppend(absl::StrCat(i % 9), kAnyVersion)));
    ASSERT_OK_AND_ASSIGN(before, store->Dump(Family::kProjection));
    journal.reset();
    // Simulate a crash right after a rebuild started: marker set, projection emptied.
    ASSERT_OK(store->Put(Family::kMeta, "rebuilding", "1"));
    ASSERT_OK(store->Reset(Family::kProjection));
  }
  ASSERT_OK_AND_ASSIGN(auto store, Store::Open({.path = dir.Sub("db")}));
  ASSERT_OK_AND_ASSIGN(auto journal, Journal::Open(store.get(), {.source_service = "rb", .projector = &projector}));
  ASSERT_OK_AND_ASSIGN(const std::string after, store->Dump(Family::kProjection));
  EXPECT_EQ(before, after);
  ASSERT_OK_AND_ASSIGN(auto marker, store->Get(Family::kMeta, "rebuilding"));
  EXPECT_FALSE(marker.has_value());
}

}  // namespace
}  // namespace yilian::eventstore
