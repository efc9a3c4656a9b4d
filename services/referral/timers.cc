#include "timers.h"

#include <pthread.h>

#include "yilian/common/logging.h"

namespace yilian::referral {

DeadlineTimer::DeadlineTimer(const ReferralView* view, ReferralWriter* writer, absl::Duration poll)
    : view_(view), writer_(writer), poll_(poll) {
  thread_ = std::thread([this] { Loop(); });
}

DeadlineTimer::~DeadlineTimer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

int DeadlineTimer::RunOnce() {
  std::lock_guard lock(mu_);
  return Pass();
}

int DeadlineTimer::Pass() {
  const absl::Time now = writer_->Now();
  auto due = view_->Due(now, 256);
  if (!due.ok()) {
    common::Logger().error("referral timers: {}", due.status().ToString());
    return 0;
  }
  int changed = 0;
  for (const auto& id : *due) {
    Call call{.actor = ReferralWriter::System(), .correlation_id = id, .causation_id = "deadline-timer"};
    auto r = writer_->Command(call, id, 0, [&](const std::optional<fv1::Referral>& s) -> absl::StatusOr<Change> {
      return Change{.events = dr::DueTimers(s, writer_->Now())};
    });
    if (r.ok())
      ++changed;
    else  // a command raced it (ABORTED) or the disk failed: the index still says due, next pass retries
      common::Logger().warn("referral timers: {}: {}", id, r.status().ToString());
  }
  return changed;
}

void DeadlineTimer::Loop() {
  pthread_setname_np(pthread_self(), "yl-ref-timers");
  std::unique_lock lock(mu_);
  while (!stop_) {
    Pass();
    cv_.wait_for(lock, absl::ToChronoMilliseconds(poll_), [&] { return stop_; });
  }
}

}  // namespace yilian::referral
