#pragma once
// Event propagation, commit -> applied: per source service, how long the events a consumer
// applied took from their commit in the source's journal (the envelope's recorded_at, stamped
// just before the journal's fsync) until this service's projection held them (the consumer's
// batch written). Kept as a log-scale histogram (v1::Propagation) so a reader can subtract two
// snapshots and take percentiles of the window between them.
//
// Both instants are wall-clock times: on one host they share a clock; across hosts the figure
// includes the hosts' clock skew. Not thread-safe: the consumer thread owns it.

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "yilian/bus/v1/bus.pb.h"

namespace yilian::bus {

class PropagationHistogram {
 public:
  // Buckets: upper bound 0.1 ms x 1.08^i for i < kBuckets; the last holds everything above.
  static constexpr int kBuckets = 210;  // the last finite bound is ~900 s
  static double UpperBoundMs(int bucket);
  static int BucketOf(double ms);

  // A negative latency (clocks of two hosts apart) counts in the first bucket.
  void Observe(const std::string& source, absl::Duration latency);
  // One entry per source observed, sources in name order.
  void ToProto(google::protobuf::RepeatedPtrField<v1::Propagation>* out) const;

 private:
  struct Source {
    std::vector<int64_t> counts = std::vector<int64_t>(kBuckets, 0);
    int64_t total = 0;
    double max_ms = 0;
  };
  std::map<std::string, Source> sources_;
};

// The latencies of one source observed between two snapshots: `after` minus `before` (null:
// since start). Value type.
struct PropagationWindow {
  int64_t count = 0;
  std::vector<v1::PropagationBucket> buckets;  // non-empty, ascending
  // The upper bound (ms) of the bucket holding the value of rank ceil(p x count), p in (0, 1];
  // 0 when the window is empty. It overstates the true value by at most 8%.
  double Percentile(double p) const;
  // The upper bound of the highest non-empty bucket.
  double MaxBoundMs() const;
};
PropagationWindow Subtract(const v1::Propagation& after, const v1::Propagation* before);

}  // namespace yilian::bus
