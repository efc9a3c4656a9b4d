#include "timers.h"

#include "yilian/common/logging.h"

namespace yilian::referral {

namespace dref = ::yilian::domain::referral;

namespace fv1 = ::yilian::referral::v1;

DeadlineTimer::DeadlineTimer(const ReferralView* view, const MirrorDirectory* directory, ReferralCommands* commands,
                             absl::Duration poll)
    : view_(view), directory_(directory), commands_(commands), loop_({.name = "yl-ref-timers", .period = poll}, [this] {
        Pass();
        return false;
      }) {
  loop_.Start();
}

int DeadlineTimer::RunOnce() {
  int changed = 0;
  loop_.RunExclusive([&] { changed = Pass(); });
  return changed;
}

int DeadlineTimer::Pass() {
  auto due = view_->Due(commands_->Now(), 256);
  if (!due.ok()) {
    common::Logger().error("referral timers: {}", due.status().ToString());
    return 0;
  }
  int changed = 0;
  for (const auto& id : *due) {
    auto r = commands_->RunAsService(command::ServiceCall("referral", id, "deadline-timer"), id,
                                     [this](const std::optional<fv1::Referral>& s, absl::Time now) {
                                       return absl::StatusOr<dref::Events>(dref::DueTimers(s, now, directory_));
                                     });
    if (r.ok())
      ++changed;
    else  // a command raced it (ABORTED) or the disk failed: the index still says due, next pass retries
      common::Logger().warn("referral timers: {}: {}", id, r.status().ToString());
  }
  return changed;
}

}  // namespace yilian::referral
