#pragma once
// The deadline timers: a WorkerLoop that looks at the projection's timer index (t/<due>)
// every `poll`, and for each referral due runs DueTimers (escalation into the receiver's and
// then the lead hospital's queue, expiry when not scheduled in time, no-shows) as the service. The index is derived
// from the journal, so timers survive restarts: one due while the service was down fires at the next look. Thread-safe.

#include "referral_commands.h"
#include "yilian/common/worker_loop.h"

namespace yilian::referral {

class DeadlineTimer {
 public:
  DeadlineTimer(const ReferralView* view, const MirrorDirectory* directory, ReferralCommands* commands,
                absl::Duration poll);
  // Runs one pass now (tests with a manual clock); returns how many referrals changed.
  int RunOnce();

 private:
  int Pass();
  const ReferralView* view_;
  const MirrorDirectory* directory_;
  ReferralCommands* commands_;
  common::WorkerLoop loop_;  // last: stops first
};

}  // namespace yilian::referral
