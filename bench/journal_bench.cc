// Prints the event journal's figures on this machine:
//   - durable appends/s (sync=true, group commit) with 1, 8 and 64 concurrent writers;
//   - the ceiling: one synced RocksDB write per event, one thread;
//   - replay: reading + parsing the journal, and rebuilding a projection from it.
// Usage: journal_bench [--seconds=N] [--replay-events=N]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "yilian/testing/counter_projector.h"
#include "yilian/testing/temp_dir.h"

using namespace yilian;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

struct Opened {
  std::unique_ptr<eventstore::Store> store;
  std::unique_ptr<eventstore::Journal> journal;
};

Opened Open(const std::string& path, eventstore::Projector* projector) {
  Opened o;
  o.store = *eventstore::Store::Open({.path = path});
  o.journal = *eventstore::Journal::Open(o.store.get(), {.source_service = "bench", .projector = projector});
  return o;
}

// Writer w's n-th append: one event to one of its 1,000 counters, with an idempotency key.
eventstore::AppendRequest KeyedAppend(int w, int64_t n) {
  auto req = testing::CounterAppend(absl::StrCat("w", w, "-", n % 1000), eventstore::kAnyVersion);
  req.idempotency_key = absl::StrCat("w", w, "/", n);
  req.request_hash = req.idempotency_key;
  return req;
}

void DurableAppends(int writers, double seconds) {
  testing::TempDir dir;
  testing::CounterProjector projector;
  auto o = Open(dir.Sub("db"), &projector);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> total{0};
  std::vector<std::thread> threads;
  std::vector<std::vector<double>> lat(writers);
  const auto start = Clock::now();
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      int64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        const auto t0 = Clock::now();
        auto r = o.journal->Append(KeyedAppend(w, n));
        lat[w].push_back(Seconds(Clock::now() - t0) * 1e3);
        if (!r.ok()) {
          std::fprintf(stderr, "append failed: %s\n", r.status().ToString().c_str());
          std::exit(1);
        }
        ++n;
      }
      total += n;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = Seconds(Clock::now() - start);
  std::vector<double> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, size_t(p * all.size()))]; };
  std::printf("durable appends, %2d writers: %9.0f events/s   latency ms p50 %.2f p99 %.2f p999 %.2f\n", writers,
              total / elapsed, pct(0.5), pct(0.99), pct(0.999));
}

// Closed loop without a thread per writer: `inflight` appends outstanding at all times,
// each completion issuing the next, as a gRPC callback service drives the journal.
void AsyncAppends(int inflight, double seconds) {
  testing::TempDir dir;
  testing::CounterProjector projector;
  auto o = Open(dir.Sub("db"), &projector);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> total{0};
  std::atomic<int> running{inflight};
  std::function<void(int, int64_t)> issue = [&](int w, int64_t n) {
    o.journal->AppendAsync(KeyedAppend(w, n), [&, w, n](absl::StatusOr<eventstore::AppendResult> r) {
      if (!r.ok()) std::exit(1);
      ++total;
      if (stop.load()) {
        --running;
        return;
      }
      issue(w, n + 1);
    });
  };
  const auto start = Clock::now();
  for (int w = 0; w < inflight; ++w) issue(w, 0);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  const double elapsed = Seconds(Clock::now() - start);
  while (running.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::printf("durable appends, %2d in flight (async, no thread each): %9.0f events/s\n", inflight, total / elapsed);
}

void SyncedWriteCeiling(double seconds) {
  testing::TempDir dir;
  auto store = *eventstore::Store::Open({.path = dir.Sub("db")});
  std::string value(200, 'x');
  int64_t n = 0;
  const auto start = Clock::now();
  while (Seconds(Clock::now() - start) < seconds) {
    (void)store->Put(eventstore::Family::kJournal, eventstore::EncodeU64(++n), value, /*sync=*/true);
  }
  std::printf("ceiling: one synced RocksDB write per event, 1 thread: %9.0f writes/s\n",
              n / Seconds(Clock::now() - start));
}

void Replay(int64_t events) {
  testing::TempDir dir;
  testing::CounterProjector projector;
  auto o = Open(dir.Sub("db"), &projector);
  std::atomic<int64_t> left{events};
  std::vector<std::thread> threads;
  for (int w = 0; w < 64; ++w) {
    threads.emplace_back([&, w] {
      for (int64_t i = 0; left.fetch_sub(1) > 0; ++i) {
        auto r =
            o.journal->Append(testing::CounterAppend(absl::StrCat("agg-", w, "-", i % 200), eventstore::kAnyVersion));
        if (!r.ok()) std::exit(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  // Reopen so reads come from disk structures, not only the memtable.
  o.journal.reset();
  (void)o.store->Flush();
  o.store.reset();
  o = Open(dir.Sub("db"), &projector);

  events::v1::Envelope env;
  int64_t parsed = 0;
  auto start = Clock::now();
  (void)o.journal->Read(1, 0, [&](const eventstore::JournalEntry& e) {
    parsed += env.ParseFromArray(e.envelope.data(), static_cast<int>(e.envelope.size()));
    return true;
  });
  double t = Seconds(Clock::now() - start);
  std::printf("replay: read + parse %lld journal entries: %9.0f events/s (%.2f s)\n", (long long)parsed, parsed / t, t);

  start = Clock::now();
  auto s = o.journal->RebuildProjections();
  t = Seconds(Clock::now() - start);
  std::printf("replay: rebuild projection from %lld events: %9.0f events/s (%.2f s) %s\n", (long long)events,
              events / t, t, s.ok() ? "" : s.ToString().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  double seconds = 5;
  int64_t replay_events = 1'000'000;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--seconds=", 10) == 0) seconds = std::atof(argv[i] + 10);
    if (std::strncmp(argv[i], "--replay-events=", 16) == 0) replay_events = std::atoll(argv[i] + 16);
  }
  std::printf("journal_bench on %u cores (sync=true, one WriteBatch per group commit)\n",
              std::thread::hardware_concurrency());
  if (std::getenv("JOURNAL_BENCH_ASYNC_ONLY")) {
    AsyncAppends(64, seconds);
    return 0;
  }
  SyncedWriteCeiling(seconds / 2);
  for (int w : {1, 8, 64}) DurableAppends(w, seconds);
  for (int w : {8, 64, 256}) AsyncAppends(w, seconds);
  Replay(replay_events);
}
