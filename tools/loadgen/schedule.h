#pragma once
// Time for the driver: the measured window of a run, and the open loop's schedule of intended
// send times. Pure arithmetic on steady_clock time points (no clock is read here), so tests
// can check them exactly. Value types; safe to share read-only between threads.

#include <chrono>
#include <cstdint>

namespace yilian::loadgen {

using Clock = std::chrono::steady_clock;

// A run: warm-up from `start`, then the measured window [measure_begin, end).
struct Window {
  Clock::time_point start, measure_begin, end;
  static Window From(Clock::time_point start, double warmup_s, double duration_s);
  // Whether a call started (open loop: intended) at `t` counts in the figures.
  bool Measured(Clock::time_point t) const { return t >= measure_begin && t < end; }
  double MeasuredSeconds() const { return std::chrono::duration<double>(end - measure_begin).count(); }
};

// Fixed-rate arrivals: call i is due at start + i / rate, whatever happened to earlier calls,
// and its latency is measured from that intended time, so a stalled service shows up as
// latency instead of as fewer calls (no coordinated omission). No drift: each time is computed
// from i, not by adding periods.
class OpenLoopSchedule {
 public:
  OpenLoopSchedule(double rate_per_s, Clock::time_point start) : rate_(rate_per_s), start_(start) {}
  Clock::time_point Intended(int64_t i) const;
  // How many calls are due before `t` (the number of i with Intended(i) < t).
  int64_t DueBefore(Clock::time_point t) const;
  double rate() const { return rate_; }

 private:
  double rate_;
  Clock::time_point start_;
};

}  // namespace yilian::loadgen
