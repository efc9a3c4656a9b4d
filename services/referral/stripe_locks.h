#pragma once
// Striped locks that any thread may release: a command takes its referral's (and an expert
// session's) stripe, queues its append, and the journal's completion thread lets go once the
// append is durable. std::mutex must be unlocked by the thread that locked it, so each stripe
// is a flag under a mutex with a condition variable. (Not std::binary_semaphore: GCC 12's can
// lose a wake-up when a holder releases between a waiter's spin and its futex wait, leaving
// the waiter asleep on a free stripe; short holds, such as refused commands, make that likely.)
// Stripes are many, so commands on different aggregates rarely wait for each other; a wait is
// for one group commit of the same stripe.

#include <array>
#include <condition_variable>
#include <mutex>
#include <string_view>
#include <utility>

#include "absl/hash/hash.h"

namespace yilian::referral {

class StripeLocks {
 public:
  static constexpr size_t kStripes = 1024;

  struct Stripe {
    std::mutex mu;
    std::condition_variable cv;
    bool held = false;  // guarded by mu
  };

  // Owns one stripe until destroyed (or moved from).
  class Hold {
   public:
    Hold() = default;
    explicit Hold(Stripe* s) : s_(s) {}
    Hold(Hold&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    Hold& operator=(Hold&& o) noexcept {
      if (this != &o) {
        Release();
        s_ = std::exchange(o.s_, nullptr);
      }
      return *this;
    }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    ~Hold() { Release(); }

   private:
    void Release() {
      if (s_ == nullptr) return;
      {
        std::lock_guard lock(s_->mu);
        s_->held = false;
      }
      s_->cv.notify_one();
      s_ = nullptr;
    }
    Stripe* s_ = nullptr;
  };

  // Blocks while another Hold owns `id`'s stripe.
  Hold Lock(std::string_view id) {
    Stripe& s = stripes_[absl::HashOf(id) % kStripes];
    std::unique_lock lock(s.mu);
    s.cv.wait(lock, [&] { return !s.held; });
    s.held = true;
    return Hold(&s);
  }

 private:
  std::array<Stripe, kStripes> stripes_;
};

}  // namespace yilian::referral
