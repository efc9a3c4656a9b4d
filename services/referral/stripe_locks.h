#pragma once
// Striped locks that any thread may release: a command takes its referral's (and an expert
// session's) stripe, queues its append, and the journal's completion thread lets go once the
// append is durable. std::mutex must be unlocked by the thread that locked it, so each stripe
// is a binary semaphore. Stripes are many, so commands on different aggregates rarely wait
// for each other; a wait is for one group commit of the same stripe.

#include <array>
#include <semaphore>
#include <string_view>

#include "absl/hash/hash.h"

namespace yilian::referral {

class StripeLocks {
 public:
  static constexpr size_t kStripes = 1024;

  // Owns one stripe until destroyed (or moved from).
  class Hold {
   public:
    Hold() = default;
    explicit Hold(std::binary_semaphore* s) : s_(s) {}
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
      if (s_ != nullptr) s_->release();
      s_ = nullptr;
    }
    std::binary_semaphore* s_ = nullptr;
  };

  // Blocks while another Hold owns `id`'s stripe.
  Hold Lock(std::string_view id) {
    auto& s = stripes_[absl::HashOf(id) % kStripes].sem;
    s.acquire();
    return Hold(&s);
  }

 private:
  struct Stripe {
    std::binary_semaphore sem{1};
  };
  std::array<Stripe, kStripes> stripes_;
};

}  // namespace yilian::referral
