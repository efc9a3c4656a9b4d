// The commit -> applied histogram: bucket bounds, and percentiles of the window between two
// snapshots (as yilian-loadgen takes them).

#include "yilian/bus/propagation.h"

#include <gtest/gtest.h>

#include <cmath>

namespace yilian::bus {
namespace {

using H = PropagationHistogram;

TEST(PropagationTest, EveryLatencyFallsInTheBucketWhoseBoundsHoldIt) {
  EXPECT_EQ(H::BucketOf(0), 0);
  EXPECT_EQ(H::BucketOf(-5), 0);
  EXPECT_EQ(H::BucketOf(0.1), 0);
  EXPECT_TRUE(std::isinf(H::UpperBoundMs(H::kBuckets - 1)));
  EXPECT_EQ(H::BucketOf(1e12), H::kBuckets - 1);
  for (double ms : {0.1001, 0.5, 1.0, 3.3, 10.0, 99.9, 100.0, 100.1, 2500.0, 60'000.0}) {
    const int b = H::BucketOf(ms);
    ASSERT_GT(b, 0) << ms;
    EXPECT_LT(H::UpperBoundMs(b - 1), ms) << ms;
    EXPECT_GE(H::UpperBoundMs(b), ms) << ms;
    EXPECT_LE(H::UpperBoundMs(b), ms * 1.08 + 1e-9) << "a bound overstates by at most 8%: " << ms;
  }
  for (int b = 0; b + 1 < H::kBuckets - 1; ++b) EXPECT_EQ(H::BucketOf(H::UpperBoundMs(b)), b) << b;
}

TEST(PropagationTest, PercentilesOfTheWindowBetweenTwoSnapshots) {
  H h;
  for (int i = 0; i < 1000; ++i) h.Observe("referral", absl::Milliseconds(500));  // before the window
  v1::GetConsumerStatusResponse before;
  h.ToProto(before.mutable_propagation());

  for (int i = 0; i < 980; ++i) h.Observe("referral", absl::Milliseconds(2));
  for (int i = 0; i < 20; ++i) h.Observe("referral", absl::Milliseconds(40));
  h.Observe("registry", absl::Milliseconds(7));
  v1::GetConsumerStatusResponse after;
  h.ToProto(after.mutable_propagation());

  ASSERT_EQ(after.propagation_size(), 2);
  const v1::Propagation& referral = after.propagation(0);
  EXPECT_EQ(referral.source(), "referral");
  EXPECT_EQ(referral.count(), 2000);
  EXPECT_DOUBLE_EQ(referral.max_ms(), 500);
  ASSERT_EQ(referral.buckets_size(), 3);

  const PropagationWindow w = Subtract(referral, &before.propagation(0));
  EXPECT_EQ(w.count, 1000) << "the 1,000 events before the window are not in it";
  const double b2 = H::UpperBoundMs(H::BucketOf(2)), b40 = H::UpperBoundMs(H::BucketOf(40));
  EXPECT_DOUBLE_EQ(w.Percentile(0.5), b2);
  EXPECT_DOUBLE_EQ(w.Percentile(0.98), b2);
  EXPECT_DOUBLE_EQ(w.Percentile(0.99), b40);
  EXPECT_DOUBLE_EQ(w.MaxBoundMs(), b40);

  const PropagationWindow registry = Subtract(after.propagation(1), nullptr);
  EXPECT_EQ(registry.count, 1);
  EXPECT_DOUBLE_EQ(registry.Percentile(0.999), H::UpperBoundMs(H::BucketOf(7)));
  EXPECT_EQ(PropagationWindow{}.Percentile(0.99), 0);
}

}  // namespace
}  // namespace yilian::bus
