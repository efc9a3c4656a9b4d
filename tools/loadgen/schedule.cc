#include "schedule.h"

#include <cmath>

namespace yilian::loadgen {

namespace {

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

}  // namespace

Window Window::From(Clock::time_point start, double warmup_s, double duration_s) {
  Window w;
  w.start = start;
  w.measure_begin = start + Seconds(warmup_s);
  w.end = w.measure_begin + Seconds(duration_s);
  return w;
}

Clock::time_point OpenLoopSchedule::Intended(int64_t i) const {
  const auto ns = static_cast<int64_t>(std::llround(static_cast<double>(i) * 1e9 / rate_));
  return start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns));
}

int64_t OpenLoopSchedule::DueBefore(Clock::time_point t) const {
  if (t <= start_) return 0;
  const double secs = std::chrono::duration<double>(t - start_).count();
  int64_t n = static_cast<int64_t>(std::ceil(secs * rate_));
  while (n > 0 && Intended(n - 1) >= t) --n;  // rounding at the boundary
  while (Intended(n) < t) ++n;
  return n;
}

}  // namespace yilian::loadgen
