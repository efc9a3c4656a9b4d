// The journal's write path: versions, idempotency, group commit, hash chain.
#include "yilian/eventstore/journal.h"

#include <atomic>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "yilian/common/uuid.h"
#include "yilian/testing/counter_projector.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::eventstore {
namespace {

using testing::CounterAppend;
using testing::CounterEvent;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    ASSERT_OK_AND_ASSIGN(store_, Store::Open({.path = dir_.Sub("db")}));
    ASSERT_OK_AND_ASSIGN(
        journal_, Journal::Open(store_.get(), {.source_service = "test", .projector = &projector_, .clock = &clock_}));
  }
  void Reopen() {
    journal_.reset();
    store_.reset();
    Open();
  }
  testing::v1::Counter CounterRow(const std::string& id) {
    testing::v1::Counter c;
    auto row = store_->Get(Family::kProjection, "counter/" + id);
    EXPECT_OK(row);
    if (row.ok() && *row) c.ParseFromString(**row);
    return c;
  }

  yilian::testing::TempDir dir_;
  common::ManualClock clock_;
  testing::CounterProjector projector_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Journal> journal_;
};

TEST_F(JournalTest, AppendAssignsSequencesVersionsAndEnvelopeFields) {
  auto req = CounterAppend("a", kNoStream, 2);
  req.correlation_id = "corr-1";
  ASSERT_OK_AND_ASSIGN(auto r1, journal_->Append(req));
  EXPECT_EQ(r1.first_sequence, 1);
  EXPECT_EQ(r1.last_sequence, 2);
  EXPECT_EQ(r1.aggregate_version, 2);
  ASSERT_OK_AND_ASSIGN(auto r2, journal_->Append(CounterAppend("b", kNoStream)));
  EXPECT_EQ(r2.first_sequence, 3);
  EXPECT_EQ(r2.aggregate_version, 1);
  EXPECT_EQ(journal_->head().sequence, 3);

  std::vector<events::v1::Envelope> seen;
  ASSERT_OK(journal_->ReadAggregate("counter", "a", 1, [&](const JournalEntry& e) {
    seen.push_back(*ParseEnvelope(e.envelope));
    return true;
  }));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].aggregate_version(), 2);
  EXPECT_EQ(seen[1].source_sequence(), 2);
  EXPECT_EQ(seen[1].source_service(), "test");
  EXPECT_EQ(seen[1].correlation_id(), "corr-1");
  EXPECT_EQ(seen[1].actor().subject(), "tester");
  EXPECT_TRUE(common::IsUuid(seen[0].event_id()));
  EXPECT_NE(seen[0].event_id(), seen[1].event_id());
  EXPECT_EQ(seen[0].recorded_at().seconds(), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(seen[0].previous_hash(), "");
  EXPECT_EQ(seen[1].previous_hash().size(), 32u);
  EXPECT_EQ(CounterRow("a").total(), 2);
  EXPECT_EQ(CounterRow("b").total(), 1);
}

TEST_F(JournalTest, VersionConflictIsAbortedNamingTheCurrentVersionAndWritesNothing) {
  ASSERT_OK(journal_->Append(CounterAppend("a", kNoStream, 3)));
  auto r = journal_->Append(CounterAppend("a", 1));
  EXPECT_CODE(r, kAborted);
  EXPECT_NE(r.status().message().find("is at version 3"), std::string::npos) << r.status();
  EXPECT_CODE(journal_->Append(CounterAppend("a", kNoStream)), kAborted);
  EXPECT_EQ(journal_->head().sequence, 3);
  EXPECT_EQ(CounterRow("a").total(), 3);
  ASSERT_OK(journal_->Append(CounterAppend("a", 3)));
  ASSERT_OK(journal_->Append(CounterAppend("a", kAnyVersion)));
  EXPECT_EQ(*journal_->AggregateVersion("counter", "a"), 5);
}

TEST_F(JournalTest, IdempotentRetryReturnsTheFirstResultAndAnotherRequestIsRefused) {
  auto req = CounterAppend("a", kNoStream);
  req.idempotency_key = "alice/submit-1";
  req.request_hash = "fingerprint-1";
  req.response = "created a at v1";
  ASSERT_OK_AND_ASSIGN(auto first, journal_->Append(req));
  EXPECT_FALSE(first.duplicate);
  ASSERT_OK_AND_ASSIGN(auto again, journal_->Append(req));  // same key, same request
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.first_sequence, first.first_sequence);
  EXPECT_EQ(again.response, "created a at v1");
  EXPECT_EQ(journal_->head().sequence, 1);

  auto other = CounterAppend("a", 1);
  other.idempotency_key = "alice/submit-1";
  other.request_hash = "fingerprint-2";
  EXPECT_CODE(journal_->Append(other), kAlreadyExists);
  EXPECT_EQ(journal_->head().sequence, 1);

  Reopen();  // the record is durable
  ASSERT_OK_AND_ASSIGN(auto after_restart, journal_->Append(req));
  EXPECT_TRUE(after_restart.duplicate);
  EXPECT_EQ(after_restart.response, "created a at v1");
}

TEST_F(JournalTest, TransactionsWriteSeveralAggregatesAllOrNothing) {
  ASSERT_OK_AND_ASSIGN(auto both, journal_->AppendTransaction(
                                      {CounterAppend("case-1", kNoStream), CounterAppend("ward-1", kNoStream, 2)}));
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].last_sequence, 1);
  EXPECT_EQ(both[1].first_sequence, 2);
  EXPECT_EQ(both[1].aggregate_version, 2);

  // The second part conflicts: nothing of the transaction is written, and an append queued
  // right behind it in the same group commit sees the versions as they really are.
  std::promise<absl::StatusOr<std::vector<AppendResult>>> failed;
  std::promise<absl::StatusOr<AppendResult>> after;
  journal_->AppendTransactionAsync(
      {CounterAppend("case-2", kNoStream), CounterAppend("ward-1", 1)},
      [&](absl::StatusOr<std::vector<AppendResult>> r) { failed.set_value(std::move(r)); });
  journal_->AppendAsync(CounterAppend("case-2", kNoStream),
                        [&](absl::StatusOr<AppendResult> r) { after.set_value(std::move(r)); });
  EXPECT_CODE(failed.get_future().get().status(), kAborted);
  ASSERT_OK_AND_ASSIGN(auto plain, after.get_future().get());
  EXPECT_EQ(plain.aggregate_version, 1);
  EXPECT_EQ(journal_->head().sequence, 4);
  EXPECT_EQ(CounterRow("ward-1").events(), 2);

  // A keyed transaction retried gets its first part's result back, writing nothing.
  std::vector<AppendRequest> keyed = {CounterAppend("case-3", kNoStream), CounterAppend("ward-1", 2)};
  keyed[0].idempotency_key = "open-case-3";
  keyed[0].request_hash = "h";
  ASSERT_OK(journal_->AppendTransaction(keyed).status());
  ASSERT_OK_AND_ASSIGN(auto again, journal_->AppendTransaction(keyed));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].duplicate);
  EXPECT_EQ(journal_->head().sequence, 6);
  EXPECT_CODE(journal_->AppendTransaction({}).status(), kInvalidArgument);
}

TEST_F(JournalTest, AnEventOverTheLimitIsRefusedAndTheRestOfTheBatchCommits) {
  journal_.reset();
  ASSERT_OK_AND_ASSIGN(
      journal_,
      Journal::Open(store_.get(),
                    {.source_service = "test", .projector = &projector_, .clock = &clock_, .max_event_bytes = 1000}));
  auto big = CounterAppend("big", kNoStream);
  big.events[0] = CounterEvent(1, std::string(2000, 'x'));
  std::promise<absl::StatusOr<AppendResult>> refused, fine;
  journal_->AppendAsync(std::move(big), [&](absl::StatusOr<AppendResult> r) { refused.set_value(std::move(r)); });
  journal_->AppendAsync(CounterAppend("small", kNoStream),
                        [&](absl::StatusOr<AppendResult> r) { fine.set_value(std::move(r)); });
  auto r = refused.get_future().get();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_NE(r.status().message().find("at most 1000"), std::string::npos) << r.status();
  ASSERT_OK(fine.get_future().get());
  EXPECT_EQ(journal_->head().sequence, 1);
  ASSERT_OK_AND_ASSIGN(auto version, journal_->AggregateVersion("counter", "big"));
  EXPECT_EQ(version, 0);
}

TEST_F(JournalTest, MalformedRequestsAreRejected) {
  EXPECT_CODE(journal_->Append(CounterAppend("", kNoStream)), kInvalidArgument);
  EXPECT_CODE(journal_->Append(CounterAppend("a", kNoStream, 0)), kInvalidArgument);
  auto keyed = CounterAppend("a", kNoStream);
  keyed.idempotency_key = "k";  // no request hash
  EXPECT_CODE(journal_->Append(keyed), kInvalidArgument);
  EXPECT_EQ(journal_->head().sequence, 0);
}

TEST_F(JournalTest, ProjectorErrorRejectsOnlyThatAppend) {
  auto poisoned = CounterAppend("p", kNoStream, 2);
  poisoned.events.push_back(CounterEvent(1, "poison"));
  // Queue good and bad appends together so they share a group commit.
  std::vector<std::future<absl::StatusOr<AppendResult>>> results;
  std::vector<std::promise<absl::StatusOr<AppendResult>>> promises(3);
  std::vector<AppendRequest> reqs = {CounterAppend("g1", kNoStream), poisoned, CounterAppend("g2", kNoStream)};
  for (int i = 0; i < 3; ++i) {
    results.push_back(promises[i].get_future());
    journal_->AppendAsync(reqs[i], [&promises, i](absl::StatusOr<AppendResult> r) { promises[i].set_value(r); });
  }
  EXPECT_OK(results[0].get());
  EXPECT_CODE(results[1].get(), kFailedPrecondition);
  EXPECT_OK(results[2].get());
  EXPECT_EQ(journal_->head().sequence, 2);
  EXPECT_EQ(*journal_->AggregateVersion("counter", "p"), 0);
  EXPECT_EQ(CounterRow("p").events(), 0);
  ASSERT_OK_AND_ASSIGN(auto v, journal_->Verify());
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.checked, 2);
}

TEST_F(JournalTest, EightThreadsRacingOnOneAggregateGetEachVersionExactlyOnce) {
  constexpr int kThreads = 8, kPerThread = 200;
  std::atomic<int> wins{0}, aborted{0};
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<int64_t> versions_won;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      int mine = 0;
      while (mine < kPerThread) {
        auto current = journal_->AggregateVersion("counter", "hot");
        ASSERT_OK(current);
        auto req = CounterAppend("hot", *current);
        req.idempotency_key = absl::StrCat("t", t, "/", mine);
        req.request_hash = req.idempotency_key;
        auto r = journal_->Append(req);
        if (r.ok()) {
          ASSERT_FALSE(r->duplicate);
          std::lock_guard<std::mutex> lock(mu);
          EXPECT_TRUE(versions_won.insert(r->aggregate_version).second) << "version won twice";
          ++wins;
          ++mine;
          // The retry of a winning command answers the first result.
          auto retry = journal_->Append(req);
          ASSERT_OK(retry);
          EXPECT_TRUE(retry->duplicate);
          EXPECT_EQ(retry->aggregate_version, r->aggregate_version);
        } else {
          ASSERT_EQ(r.status().code(), absl::StatusCode::kAborted) << r.status();
          ++aborted;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), kThreads * kPerThread);
  ASSERT_EQ(versions_won.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*versions_won.begin(), 1);
  EXPECT_EQ(*versions_won.rbegin(), kThreads * kPerThread);  // no gaps
  EXPECT_EQ(CounterRow("hot").total(), kThreads * kPerThread);
  int64_t expect_version = 1;
  ASSERT_OK(journal_->ReadAggregate("counter", "hot", 1, [&](const JournalEntry& e) {
    EXPECT_EQ(ParseEnvelope(e.envelope)->aggregate_version(), expect_version++);
    return true;
  }));
  ASSERT_OK_AND_ASSIGN(auto v, journal_->Verify());
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.checked, kThreads * kPerThread);
  std::cout << "racing appends: " << wins.load() << " won, " << aborted.load() << " aborted\n";
}

TEST_F(JournalTest, VerifyNamesAFlippedByteInAnyStoredEntry) {
  for (int i = 0; i < 50; ++i) ASSERT_OK(journal_->Append(CounterAppend(absl::StrCat("c", i % 7), kAnyVersion)));
  ASSERT_OK_AND_ASSIGN(auto clean, journal_->Verify());
  ASSERT_TRUE(clean.intact);
  EXPECT_EQ(clean.checked, 50);
  EXPECT_EQ(clean.head.hash, journal_->head().hash);

  for (int64_t target : {1, 17, 50}) {
    for (size_t offset : {size_t{3}, size_t{40}}) {  // inside the stored hash, inside the envelope
      const std::string key = EncodeU64(target);
      ASSERT_OK_AND_ASSIGN(auto original, store_->Get(Family::kJournal, key));
      std::string tampered = *original;
      tampered[offset] = static_cast<char>(tampered[offset] ^ 0x20);
      ASSERT_OK(store_->Put(Family::kJournal, key, tampered));
      ASSERT_OK_AND_ASSIGN(auto v, journal_->Verify());
      EXPECT_FALSE(v.intact);
      EXPECT_EQ(v.bad_sequence, target) << v.problem;
      ASSERT_OK(store_->Put(Family::kJournal, key, *original));
    }
  }
  ASSERT_OK_AND_ASSIGN(auto restored, journal_->Verify());
  EXPECT_TRUE(restored.intact);
  ASSERT_OK_AND_ASSIGN(auto range, journal_->Verify(20, 30));
  EXPECT_TRUE(range.intact);
  EXPECT_EQ(range.checked, 11);
}

TEST_F(JournalTest, SurvivesReopenWithHeadAndChainIntact) {
  for (int i = 0; i < 20; ++i) ASSERT_OK(journal_->Append(CounterAppend("a", kAnyVersion)));
  const auto head = journal_->head();
  Reopen();
  EXPECT_EQ(journal_->head().sequence, head.sequence);
  EXPECT_EQ(journal_->head().hash, head.hash);
  ASSERT_OK_AND_ASSIGN(auto r, journal_->Append(CounterAppend("a", 20)));
  EXPECT_EQ(r.first_sequence, 21);
  ASSERT_OK_AND_ASSIGN(auto v, journal_->Verify());
  EXPECT_TRUE(v.intact) << v.problem;
}

TEST_F(JournalTest, ACursorReadsSingleEntriesInAnyOrderAsTheyWereWhenItWasMade) {
  for (int i = 0; i < 10; ++i) ASSERT_OK(journal_->Append(CounterAppend("a", kAnyVersion)));
  std::map<int64_t, std::string> stored;
  ASSERT_OK(journal_->Read(1, 0, [&](const JournalEntry& e) {
    stored[e.sequence] = std::string(e.hash) + std::string(e.envelope);
    return true;
  }));
  Journal::Cursor cursor = journal_->NewCursor();
  ASSERT_OK(journal_->Append(CounterAppend("a", kAnyVersion)));  // after the cursor: not seen
  for (int64_t seq : {7, 2, 9, 9, 1, 10}) {
    std::string got;
    ASSERT_OK(cursor.At(seq, [&](const JournalEntry& e) {
      EXPECT_EQ(e.sequence, seq);
      got = std::string(e.hash) + std::string(e.envelope);
    }));
    EXPECT_EQ(got, stored[seq]) << seq;
  }
  for (int64_t missing : {0, 11, 12}) {
    bool called = false;
    EXPECT_TRUE(absl::IsNotFound(cursor.At(missing, [&](const JournalEntry&) { called = true; }))) << missing;
    EXPECT_FALSE(called);
  }
  EXPECT_OK(journal_->NewCursor().At(11, [](const JournalEntry&) {}));  // a new cursor sees it
}

}  // namespace
}  // namespace yilian::eventstore
