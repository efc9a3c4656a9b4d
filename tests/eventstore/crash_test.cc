// Crash safety: a child appending in a loop is killed with SIGKILL; every append it had
// acknowledged must be in the reopened journal, and the hash chain must verify.
#include <signal.h>
#include <sys/wait.h>

#include <map>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "yilian/storage/v1/storage.pb.h"
#include "yilian/testing/counter_projector.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/subprocess.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::eventstore {
namespace {

TEST(CrashTest, EveryAcknowledgedAppendSurvivesSigkill) {
  yilian::testing::TempDir dir;
  const std::string db = dir.Sub("db");
  std::map<std::string, int64_t> acked;  // idempotency key -> first sequence
  for (int run = 0; run < 3; ++run) {
    yilian::testing::Subprocess child({YILIAN_CRASH_CHILD, db, absl::StrCat("run", run)});
    int seen = 0;
    while (seen < 1500) {
      auto line = child.ReadLine();
      ASSERT_TRUE(line.has_value()) << "child exited early";
      std::vector<std::string> f = absl::StrSplit(*line, ' ');
      ASSERT_EQ(f.size(), 3u) << *line;
      acked[f[1]] = std::stoll(f[2]);
      ++seen;
    }
    child.Signal(SIGKILL);
    int status = child.Wait();
    ASSERT_TRUE(WIFSIGNALED(status));
    // Acks already written to the pipe before the kill count too.
    while (auto line = child.ReadLine()) {
      std::vector<std::string> f = absl::StrSplit(*line, ' ');
      if (f.size() == 3) acked[f[1]] = std::stoll(f[2]);
    }

    ASSERT_OK_AND_ASSIGN(auto store, Store::Open({.path = db}));
    yilian::testing::CounterProjector projector;
    ASSERT_OK_AND_ASSIGN(auto journal,
                         Journal::Open(store.get(), {.source_service = "crash", .projector = &projector}));
    for (const auto& [key, seq] : acked) {
      ASSERT_OK_AND_ASSIGN(auto rec_bytes, store->Get(Family::kIdempotency, key));
      ASSERT_TRUE(rec_bytes.has_value()) << "acknowledged append " << key << " lost";
      storage::v1::IdempotencyRecord rec;
      ASSERT_TRUE(rec.ParseFromString(*rec_bytes));
      EXPECT_EQ(rec.first_sequence(), seq);
      bool found = false;
      ASSERT_OK(journal->Read(seq, 1, [&](const JournalEntry& e) {
        auto env = ParseEnvelope(e.envelope);
        found = env.ok() && env->idempotency_key() == key;
        return false;
      }));
      EXPECT_TRUE(found) << "entry " << seq << " does not hold " << key;
    }
    ASSERT_OK_AND_ASSIGN(auto v, journal->Verify());
    EXPECT_TRUE(v.intact) << v.problem << " at " << v.bad_sequence;
    EXPECT_EQ(v.checked, journal->head().sequence);
    // The projection matches the journal: counters sum to every event.
    int64_t total = 0;
    ASSERT_OK(store->Scan(Family::kProjection, "counter/", "", [&](std::string_view, std::string_view value) {
      yilian::testing::v1::Counter c;
      c.ParseFromArray(value.data(), static_cast<int>(value.size()));
      total += c.events();
      return true;
    }));
    EXPECT_EQ(total, journal->head().sequence);
  }
  EXPECT_GE(acked.size(), 4500u);
}

}  // namespace
}  // namespace yilian::eventstore
