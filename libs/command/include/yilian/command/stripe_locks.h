#pragma once
// Striped locks that any thread may release: a command takes its aggregate's stripe, queues
// its append, and the journal's completion thread lets go once the append is durable.
// std::mutex must be unlocked by the thread that locked it, so each stripe is a flag under a
// mutex with a condition variable. (Not std::binary_semaphore: GCC 12's can lose a wake-up
// when a holder releases between a waiter's spin and its futex wait, leaving the waiter asleep
// on a free stripe; short holds, such as refused commands, make that likely.)
//
// Stripes are many, so commands on different aggregates rarely wait for each other. Order,
// to stay free of deadlock: a command takes its own aggregate's stripe first, then the
// stripes of other tables (one LockAll per table); never a stripe of a table it has already
// locked after one of a later table.
//
// Thread-safe.

#include <algorithm>
#include <array>
#include <condition_variable>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/hash/hash.h"

namespace yilian::command {

class StripeLocks {
 public:
  static constexpr size_t kStripes = 1024;

  struct Stripe {
    std::mutex mu;
    std::condition_variable cv;
    bool held ABSL_GUARDED_BY(mu) = false;
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
  Hold Lock(std::string_view id) { return Take(StripeOf(id)); }

  // The stripes of several ids, taken in stripe order (each once), so two callers locking
  // overlapping sets never wait for each other in a cycle. Empty ids are skipped.
  std::vector<Hold> LockAll(std::vector<std::string_view> ids) {
    std::vector<size_t> stripes;
    for (auto id : ids)
      if (!id.empty()) stripes.push_back(StripeOf(id));
    std::sort(stripes.begin(), stripes.end());
    stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
    std::vector<Hold> out;
    out.reserve(stripes.size());
    for (size_t s : stripes) out.push_back(Take(s));
    return out;
  }

 private:
  static size_t StripeOf(std::string_view id) { return absl::HashOf(id) % kStripes; }
  Hold Take(size_t index) {
    Stripe& s = stripes_[index];
    std::unique_lock lock(s.mu);
    s.cv.wait(lock, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return !s.held; });
    s.held = true;
    return Hold(&s);
  }

  std::array<Stripe, kStripes> stripes_;
};

// Stripes a command holds; released when destroyed.
using Locks = std::vector<StripeLocks::Hold>;

}  // namespace yilian::command
