// Per-principal rate limits: each caller has its own token bucket, so a flood from one
// principal is refused (RESOURCE_EXHAUSTED) while another principal's calls, made at the same
// time through the same server, are all served. A manual clock makes the counts exact.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "echo_service.h"
#include "grpcpp/grpcpp.h"
#include "yilian/host/rate_limiter.h"
#include "yilian/host/service_host.h"
#include "yilian/testing/status_matchers.h"

namespace yilian::host {
namespace {

TEST(RateLimiterTest, EachSubjectHasItsOwnBucketRefilledAtTheRate) {
  common::ManualClock clock;
  RateLimiter limiter({.calls_per_second = 2, .burst = 3}, &clock);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow("a")) << i;
  EXPECT_FALSE(limiter.Allow("a"));
  EXPECT_TRUE(limiter.Allow("b"));  // someone else's bucket is full
  clock.Advance(absl::Milliseconds(500));
  EXPECT_TRUE(limiter.Allow("a"));  // one call's worth came back
  EXPECT_FALSE(limiter.Allow("a"));
  clock.Advance(absl::Seconds(60));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow("a")) << i;  // never more than the burst
  EXPECT_FALSE(limiter.Allow("a"));
  RateLimiter off({}, &clock);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(off.Allow("a"));
}

TEST(RateLimiterTest, AFloodFromOnePrincipalDoesNotStarveAnother) {
  common::ManualClock clock;  // frozen: each principal gets exactly its burst
  auto auth =
      Authenticator::FromTokens({{"flood-token", {"his@flooder", "loudi-1st", common::Role::ROLE_CLINICIAN}},
                                 {"calm-token", {"dr.li@calm", "qiaotouhe-thc", common::Role::ROLE_CLINICIAN}}});
  auth.WithRateLimit({.calls_per_second = 50, .burst = 50}, &clock);
  EchoService echo(&auth);
  ASSERT_OK_AND_ASSIGN(auto server, ServiceHost::Start({.service_name = "t"}, auth, {&echo}));
  auto channel = grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials());
  auto call = [&](const std::string& token) {
    auto stub = testing::v1::Echo::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    common::v1::Principal out;
    return stub->WhoAmI(&ctx, {}, &out).error_code();
  };
  std::atomic<int> flood_ok{0}, flood_refused{0}, flood_other{0};
  std::vector<std::thread> flooders;
  for (int t = 0; t < 8; ++t)
    flooders.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        auto code = call("flood-token");
        (code == grpc::StatusCode::OK                   ? flood_ok
         : code == grpc::StatusCode::RESOURCE_EXHAUSTED ? flood_refused
                                                        : flood_other)++;
      }
    });
  int calm_ok = 0;
  for (int i = 0; i < 40; ++i) calm_ok += call("calm-token") == grpc::StatusCode::OK;
  for (auto& t : flooders) t.join();
  EXPECT_EQ(calm_ok, 40);  // every call of the other principal served, during the flood
  EXPECT_EQ(flood_ok, 50);
  EXPECT_EQ(flood_refused, 750);
  EXPECT_EQ(flood_other, 0);
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(call("flood-token"), grpc::StatusCode::OK);  // the flooder recovers as its bucket refills
}

}  // namespace
}  // namespace yilian::host
