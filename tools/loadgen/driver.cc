#include "driver.h"

#include <atomic>
#include <thread>
#include <vector>

namespace yilian::loadgen {

Tally RunClosed(int concurrency, const Window& window, const Work& work) {
  std::atomic<int64_t> next{0};
  std::vector<Tally> tallies(static_cast<size_t>(concurrency));
  std::vector<std::thread> pool;
  for (int t = 0; t < concurrency; ++t)
    pool.emplace_back([&, t] {
      for (auto now = Clock::now(); now < window.end; now = Clock::now())
        work(next.fetch_add(1), now, window.Measured(now) ? &tallies[static_cast<size_t>(t)] : nullptr);
    });
  for (auto& th : pool) th.join();
  Tally all;
  for (const auto& t : tallies) all.Merge(t);
  return all;
}

OpenResult RunOpen(const OpenLoopSchedule& schedule, int threads, const Window& window, double drain_s,
                   const Work& work) {
  const auto give_up = window.end + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(drain_s));
  const int64_t last = schedule.DueBefore(window.end);
  std::atomic<int64_t> next{0}, behind{0};
  std::vector<Tally> tallies(static_cast<size_t>(threads));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int64_t i; (i = next.fetch_add(1)) < last;) {
        const auto due = schedule.Intended(i);
        if (Clock::now() > give_up) {
          if (window.Measured(due)) behind.fetch_add(1);
          continue;
        }
        std::this_thread::sleep_until(due);
        work(i, due, window.Measured(due) ? &tallies[static_cast<size_t>(t)] : nullptr);
      }
    });
  for (auto& th : pool) th.join();
  OpenResult r;
  for (const auto& t : tallies) r.tally.Merge(t);
  r.behind = behind.load();
  return r;
}

}  // namespace yilian::loadgen
