#pragma once
// Runs work against the clock: closed loop (N workers back to back) or open loop (calls due at
// a fixed rate, each measured from its due time). A call counts when it starts (open loop: is
// due) inside the window's measured part; calls during the warm-up run but are not recorded.
// Each function blocks until its workers are done and returns their merged tally.

#include <functional>

#include "schedule.h"
#include "tally.h"

namespace yilian::loadgen {

// One call: `ticket` numbers the calls of a stream from 0; latency counts from `started`;
// `tally` is null during the warm-up. Must be thread-safe.
using Work = std::function<void(int64_t ticket, Clock::time_point started, Tally* tally)>;

// `concurrency` workers, each calling `work` back to back from now until window.end.
Tally RunClosed(int concurrency, const Window& window, const Work& work);

struct OpenResult {
  Tally tally;
  int64_t behind = 0;  // calls due inside the window but not sent by window.end + drain
};
// Calls due at schedule.Intended(i) until window.end, made by `threads` workers (the most in
// flight at once: keep it above rate x latency). A worker sleeps until its call is due; a call
// still unsent `drain_s` after the end is dropped and counted in `behind`.
OpenResult RunOpen(const OpenLoopSchedule& schedule, int threads, const Window& window, double drain_s,
                   const Work& work);

}  // namespace yilian::loadgen
