// A batch being built: rows read back before the write, save points take back exactly what
// followed them, and the sealed batch writes each row's final state once, in key order.
#include "yilian/eventstore/staged_writes.h"

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/store_test_peer.h"
#include "yilian/eventstore/projection.h"
#include "yilian/eventstore/store.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::eventstore {
namespace {

// What a sealed batch holds, record by record, as "family:key=value" or "family:key deleted".
class Records : public rocksdb::WriteBatch::Handler {
 public:
  std::vector<std::string> got;
  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& k, const rocksdb::Slice& v) override {
    got.push_back(std::to_string(cf) + ":" + k.ToString() + "=" + v.ToString());
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& k) override {
    got.push_back(std::to_string(cf) + ":" + k.ToString() + " deleted");
    return rocksdb::Status::OK();
  }
};

std::vector<std::string> RecordsOf(rocksdb::WriteBatch* batch) {
  Records r;
  EXPECT_TRUE(batch->Iterate(&r).ok());
  return r.got;
}

class StagedWritesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK_AND_ASSIGN(store_, Store::Open({.path = dir_.Sub("db")})); }
  rocksdb::ColumnFamilyHandle* projection() { return StoreTestPeer::Handle(*store_, Family::kProjection); }
  rocksdb::ColumnFamilyHandle* journal() { return StoreTestPeer::Handle(*store_, Family::kJournal); }
  std::string Id(rocksdb::ColumnFamilyHandle* cf) { return std::to_string(cf->GetID()); }
  std::optional<std::string> Read(std::string_view key) {
    std::string_view v;
    switch (staged_.Find(projection(), key, &v)) {
      case StagedWrites::Found::kPut:
        return std::string(v);
      case StagedWrites::Found::kDeleted:
        return "(deleted)";
      case StagedWrites::Found::kAbsent:
        break;
    }
    return std::nullopt;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  StagedWrites staged_;
};

TEST_F(StagedWritesTest, RowsReadBackAndSealOnceEachInKeyOrderAfterTheRawWrites) {
  staged_.raw().Put(journal(), "seq-1", "event");
  staged_.Put(projection(), "b", "1");
  staged_.Put(projection(), "a", "first");
  staged_.Put(projection(), "a", "a much longer second value");  // outgrows its bytes
  staged_.Put(projection(), "a", "3");                           // rewritten in place
  staged_.Delete(projection(), "c");
  EXPECT_EQ(Read("a"), "3");
  EXPECT_EQ(Read("b"), "1");
  EXPECT_EQ(Read("c"), "(deleted)");
  EXPECT_EQ(Read("d"), std::nullopt);
  std::string_view v;
  EXPECT_EQ(staged_.Find(journal(), "b", &v), StagedWrites::Found::kAbsent) << "a row belongs to its family";
  EXPECT_EQ(staged_.Count(), 6u);

  const std::string p = Id(projection());
  EXPECT_EQ(RecordsOf(staged_.Seal()),
            (std::vector<std::string>{Id(journal()) + ":seq-1=event", p + ":a=3", p + ":b=1", p + ":c deleted"}));
  staged_.Clear();
  EXPECT_TRUE(staged_.empty());
  EXPECT_EQ(Read("a"), std::nullopt);
  EXPECT_EQ(staged_.Seal()->Count(), 0u);
}

TEST_F(StagedWritesTest, ARollbackTakesBackRowsAndRawWritesSinceTheSavePoint) {
  staged_.Put(projection(), "kept", "before");
  staged_.Put(projection(), "gone", "before");
  staged_.raw().Put(journal(), "seq-1", "kept");
  staged_.SetSavePoint();
  staged_.Put(projection(), "kept", "x");
  staged_.Put(projection(), "kept", "y");  // rewritten in place: the saved value is elsewhere
  staged_.Delete(projection(), "gone");
  staged_.Put(projection(), "new", "z");
  staged_.raw().Put(journal(), "seq-2", "rolled back");
  EXPECT_EQ(Read("kept"), "y");
  staged_.RollbackToSavePoint();
  EXPECT_EQ(Read("kept"), "before");
  EXPECT_EQ(Read("gone"), "before");
  EXPECT_EQ(Read("new"), std::nullopt);
  EXPECT_EQ(staged_.Count(), 3u);
  const std::string p = Id(projection());
  EXPECT_EQ(RecordsOf(staged_.Seal()),
            (std::vector<std::string>{Id(journal()) + ":seq-1=kept", p + ":gone=before", p + ":kept=before"}));
}

TEST_F(StagedWritesTest, NestedSavePointsAndAPoppedOneUnderARolledBackOne) {
  staged_.Put(projection(), "a", "0");
  staged_.SetSavePoint();  // outer
  staged_.Put(projection(), "a", "1");
  staged_.SetSavePoint();  // inner
  staged_.Put(projection(), "a", "2");
  staged_.Put(projection(), "b", "2");
  staged_.RollbackToSavePoint();  // inner
  EXPECT_EQ(Read("a"), "1");
  EXPECT_EQ(Read("b"), std::nullopt);
  staged_.SetSavePoint();  // inner again
  staged_.Put(projection(), "a", "3");
  staged_.PopSavePoint();                // kept, still under the outer
  staged_.Put(projection(), "a", "44");  // in place or not, the outer's saved "0" must survive
  EXPECT_EQ(Read("a"), "44");
  staged_.RollbackToSavePoint();  // outer
  EXPECT_EQ(Read("a"), "0");
  staged_.RollbackToSavePoint();  // none left: nothing happens
  EXPECT_EQ(Read("a"), "0");
}

TEST_F(StagedWritesTest, AProjectionBatchReadsStagedRowsBeforeTheStore) {
  ASSERT_OK(store_->Put(Family::kProjection, "deleted", "stored"));
  ASSERT_OK(store_->Put(Family::kProjection, "rewritten", "stored"));
  ASSERT_OK(store_->Put(Family::kProjection, "untouched", "stored"));
  ProjectionBatch rows(*store_, &staged_, Family::kProjection);
  rows.Delete("deleted");
  rows.Put("rewritten", "staged");
  EXPECT_EQ(*rows.Get("deleted"), std::nullopt) << "a staged delete hides the stored row";
  EXPECT_EQ(*rows.Get("rewritten"), "staged");
  EXPECT_EQ(*rows.Get("untouched"), "stored");
  EXPECT_EQ(*rows.Get("never"), std::nullopt);
  staged_.SetSavePoint();
  rows.Put("deleted", "again");
  EXPECT_EQ(*rows.Get("deleted"), "again");
  staged_.RollbackToSavePoint();
  EXPECT_EQ(*rows.Get("deleted"), std::nullopt);
  ASSERT_OK(store_->Write(staged_));
  EXPECT_EQ(*store_->Get(Family::kProjection, "deleted"), std::nullopt);
  EXPECT_EQ(*store_->Get(Family::kProjection, "rewritten"), "staged");
  EXPECT_EQ(*store_->Get(Family::kProjection, "untouched"), "stored");
}

// Random writes, save points, rollbacks and pops against a plain model: every read and the
// sealed batch agree with it.
TEST_F(StagedWritesTest, AgreesWithAModelOverRandomOperations) {
  std::mt19937 rng(20261206);
  using Model = std::map<std::string, std::optional<std::string>>;  // nullopt: deleted
  for (int round = 0; round < 20; ++round) {
    Model model;
    std::vector<std::string> raw;  // raw journal writes, in order
    uint32_t count = 0;            // writes staged (rewrites included)
    struct Saved {
      Model model;
      size_t raw;
      uint32_t count;
    };
    std::vector<Saved> saved;
    for (int op = 0; op < 2000; ++op) {
      const std::string key = "k" + std::to_string(rng() % 64);
      const int what = static_cast<int>(rng() % 100);
      if (what < 45) {
        const std::string value(rng() % 40, static_cast<char>('a' + rng() % 26));
        staged_.Put(projection(), key, value);
        model[key] = value;
        ++count;
      } else if (what < 50) {
        const std::string seq = "seq-" + std::to_string(op);
        staged_.raw().Put(journal(), seq, key);
        raw.push_back(Id(journal()) + ":" + seq + "=" + key);
        ++count;
      } else if (what < 65) {
        staged_.Delete(projection(), key);
        model[key] = std::nullopt;
        ++count;
      } else if (what < 75) {
        staged_.SetSavePoint();
        saved.push_back({model, raw.size(), count});
      } else if (what < 82 && !saved.empty()) {
        staged_.RollbackToSavePoint();
        model = saved.back().model;
        raw.resize(saved.back().raw);
        count = saved.back().count;
        saved.pop_back();
      } else if (what < 90 && !saved.empty()) {
        staged_.PopSavePoint();
        saved.pop_back();
      } else {
        auto it = model.find(key);
        const std::optional<std::string> want =
            it == model.end() ? std::nullopt : std::optional<std::string>(it->second.value_or("(deleted)"));
        ASSERT_EQ(Read(key), want) << "round " << round << " op " << op << " key " << key;
      }
      ASSERT_EQ(staged_.Count(), count) << "round " << round << " op " << op;
    }
    while (!saved.empty()) {
      staged_.PopSavePoint();
      saved.pop_back();
    }
    std::vector<std::string> want = raw;
    const std::string p = Id(projection());
    for (const auto& [k, v] : model) want.push_back(p + ":" + k + (v ? "=" + *v : " deleted"));
    ASSERT_EQ(RecordsOf(staged_.Seal()), want) << "round " << round;
    staged_.Clear();
  }
}

}  // namespace
}  // namespace yilian::eventstore
