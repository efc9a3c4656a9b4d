#pragma once
// The deadline timers: a thread that looks at the projection's timer index (t/<due>) every
// `poll`, and for each referral due hands DueTimers (escalation, failure when not scheduled
// in time) to the writer as the service. The index is derived from the journal, so timers
// survive restarts: one due while the service was down fires at the next look. Thread-safe.

#include <condition_variable>
#include <mutex>
#include <thread>

#include "writer.h"

namespace yilian::referral {

class DeadlineTimer {
 public:
  DeadlineTimer(const ReferralView* view, ReferralWriter* writer, absl::Duration poll);
  ~DeadlineTimer();
  // Runs one pass now (tests with a manual clock); returns how many referrals changed.
  int RunOnce();

 private:
  void Loop();
  int Pass();  // with mu_ held
  const ReferralView* view_;
  ReferralWriter* writer_;
  absl::Duration poll_;
  std::mutex mu_;  // one pass at a time; guards stop_
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace yilian::referral
