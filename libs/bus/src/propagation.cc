#include "yilian/bus/propagation.h"

#include <algorithm>
#include <cmath>

namespace yilian::bus {

namespace {
constexpr double kFirstMs = 0.1, kGrowth = 1.08;
}

double PropagationHistogram::UpperBoundMs(int bucket) {
  if (bucket >= kBuckets - 1) return INFINITY;
  return kFirstMs * std::pow(kGrowth, bucket);
}

int PropagationHistogram::BucketOf(double ms) {
  if (!(ms > kFirstMs)) return 0;  // also NaN
  int b = static_cast<int>(std::ceil(std::log(ms / kFirstMs) / std::log(kGrowth)));
  // ceil over a rounded logarithm can land one off at a bound: settle it against the bounds.
  while (b > 0 && UpperBoundMs(b - 1) >= ms) --b;
  while (b < kBuckets - 1 && UpperBoundMs(b) < ms) ++b;
  return std::min(b, kBuckets - 1);
}

void PropagationHistogram::Observe(const std::string& source, absl::Duration latency) {
  const double ms = absl::ToDoubleMilliseconds(latency);
  Source& s = sources_[source];
  ++s.counts[static_cast<size_t>(BucketOf(ms))];
  ++s.total;
  s.max_ms = std::max(s.max_ms, ms);
}

void PropagationHistogram::ToProto(google::protobuf::RepeatedPtrField<v1::Propagation>* out) const {
  for (const auto& [name, s] : sources_) {
    v1::Propagation* p = out->Add();
    p->set_source(name);
    p->set_count(s.total);
    p->set_max_ms(s.max_ms);
    for (int b = 0; b < kBuckets; ++b) {
      if (s.counts[static_cast<size_t>(b)] == 0) continue;
      v1::PropagationBucket* bucket = p->add_buckets();
      bucket->set_upper_bound_ms(UpperBoundMs(b));
      bucket->set_count(s.counts[static_cast<size_t>(b)]);
    }
  }
}

PropagationWindow Subtract(const v1::Propagation& after, const v1::Propagation* before) {
  PropagationWindow w;
  size_t j = 0;  // both lists ascend by bound: walk `before` alongside
  for (const auto& b : after.buckets()) {
    int64_t n = b.count();
    if (before != nullptr) {
      while (j < static_cast<size_t>(before->buckets_size()) &&
             before->buckets(static_cast<int>(j)).upper_bound_ms() < b.upper_bound_ms())
        ++j;
      if (j < static_cast<size_t>(before->buckets_size()) &&
          before->buckets(static_cast<int>(j)).upper_bound_ms() == b.upper_bound_ms())
        n -= before->buckets(static_cast<int>(j)).count();
    }
    if (n <= 0) continue;
    v1::PropagationBucket kept;
    kept.set_upper_bound_ms(b.upper_bound_ms());
    kept.set_count(n);
    w.buckets.push_back(kept);
    w.count += n;
  }
  return w;
}

double PropagationWindow::Percentile(double p) const {
  if (count == 0) return 0;
  const auto rank = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(p * static_cast<double>(count))));
  int64_t seen = 0;
  for (const auto& b : buckets) {
    seen += b.count();
    if (seen >= rank) return b.upper_bound_ms();
  }
  return buckets.back().upper_bound_ms();
}

double PropagationWindow::MaxBoundMs() const { return buckets.empty() ? 0 : buckets.back().upper_bound_ms(); }

}  // namespace yilian::bus
