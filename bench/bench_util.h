#pragma once
// What the bench programs share: a closed-loop runner over N threads and latency percentiles.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace yilian::bench {

using SteadyClock = std::chrono::steady_clock;

// Seconds elapsed since `since`.
inline double Seconds(SteadyClock::time_point since) {
  return std::chrono::duration<double>(SteadyClock::now() - since).count();
}

inline double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

// The concurrency levels a bench runs: `fallback`, or the one given as --clients=N (to profile
// a single level).
inline std::vector<int> Levels(int argc, char** argv, std::vector<int> fallback) {
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--clients=", 10) == 0) return {std::max(1, std::atoi(argv[i] + 10))};
  return fallback;
}

struct Figures {
  double per_second = 0, p50 = 0, p99 = 0, p999 = 0, max = 0;
  int errors = 0;
};

// Runs `calls` calls of `one(thread, i)` on `threads` threads, each followed by the untimed
// `after(thread, i)`; latencies in ms.
template <typename Fn, typename After>
Figures Run(int threads, int calls, Fn one, After after) {
  std::vector<std::vector<double>> lat(threads);
  std::atomic<int> next{0}, errors{0};
  const auto start = SteadyClock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i; (i = next.fetch_add(1)) < calls;) {
        const auto t0 = SteadyClock::now();
        if (!one(t, i)) errors.fetch_add(1);
        lat[t].push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count());
        after(t, i);
      }
    });
  for (auto& th : pool) th.join();
  const double secs = std::chrono::duration<double>(SteadyClock::now() - start).count();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  Figures f;
  f.per_second = calls / secs;
  f.errors = errors;
  f.p50 = Percentile(all, 0.50);
  f.p99 = Percentile(all, 0.99);
  f.p999 = Percentile(all, 0.999);
  f.max = *std::max_element(all.begin(), all.end());
  return f;
}

}  // namespace yilian::bench
