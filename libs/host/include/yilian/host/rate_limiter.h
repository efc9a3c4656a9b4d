#pragma once
// Per-principal rate limits: a token bucket per caller (by subject), `rate` calls a second
// with bursts up to `burst`. A flood from one principal uses up that principal's bucket only:
// its calls are refused cheaply (RESOURCE_EXHAUSTED) before any work, and everyone else's
// keep being served. The Authenticator applies it to every call it authenticates.
//
// Hand-written: a bucket is a few lines, and no Debian C++ library offers one keyed by caller.
// Thread-safe. Buckets are kept per authenticated subject, so their number is bounded by the
// principals the tokens file or the CA admits.

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "yilian/common/clock.h"

namespace yilian::host {

struct RateLimit {
  double calls_per_second = 0;  // 0: no limit
  double burst = 0;             // 0: one second's worth
  bool enabled() const { return calls_per_second > 0; }
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimit limit, common::Clock* clock = &common::Clock::Real());
  // True when `subject` may make one more call now (and counts it).
  bool Allow(const std::string& subject);
  const RateLimit& limit() const { return limit_; }

 private:
  struct Bucket {
    double tokens;
    absl::Time refilled;
  };
  RateLimit limit_;
  common::Clock* clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace yilian::host
