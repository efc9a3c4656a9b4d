#include "yilian/host/rate_limiter.h"

#include <algorithm>

namespace yilian::host {

RateLimiter::RateLimiter(RateLimit limit, common::Clock* clock) : limit_(limit), clock_(clock) {
  if (limit_.burst <= 0) limit_.burst = std::max(1.0, limit_.calls_per_second);
}

bool RateLimiter::Allow(const std::string& subject) {
  if (!limit_.enabled()) return true;
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto [it, fresh] = buckets_.try_emplace(subject, Bucket{limit_.burst, now});
  Bucket& b = it->second;
  if (!fresh && now > b.refilled) {
    b.tokens = std::min(limit_.burst, b.tokens + absl::ToDoubleSeconds(now - b.refilled) * limit_.calls_per_second);
    b.refilled = now;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

}  // namespace yilian::host
