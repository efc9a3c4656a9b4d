#include "expiry.h"

#include <pthread.h>

#include "yilian/common/logging.h"

namespace yilian::greenchannel {

ExpiryTimer::ExpiryTimer(const BoardView* view, BoardWriter* writer, absl::Duration poll)
    : view_(view), writer_(writer), poll_(poll) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "yl-expiry");
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      ExpireDue();
      lock.lock();
      cv_.wait_for(lock, absl::ToChronoNanoseconds(poll_), [&] { return stop_; });
    }
  });
}

ExpiryTimer::~ExpiryTimer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

int ExpiryTimer::ExpireDue() {
  auto due = view_->DueHolds(writer_->NowMs(), 256);
  if (!due.ok()) {
    common::Logger().error("green channel expiry: {}", due.status().ToString());
    return 0;
  }
  for (const auto& d : *due) {
    auto s = writer_->ExpireHold(d);
    if (!s.ok()) common::Logger().warn("green channel expiry of hold {} on {}: {}", d.hold_id, d.ward_key, s.ToString());
  }
  return static_cast<int>(due->size());
}

}  // namespace yilian::greenchannel
