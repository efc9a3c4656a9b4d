// yilianctl's text rendering: instants as local times, everything else as it is.
#include "render.h"

#include <cstdlib>

#include "gtest/gtest.h"
#include "yilian/common/timestamp.h"
#include "yilian/events/v1/envelope.pb.h"
#include "yilian/referral/v1/referral.pb.h"

namespace yilian::ctl {
namespace {

class RenderTest : public ::testing::Test {
 protected:
  // The local zone is read once per process: set it before anything formats a time.
  static void SetUpTestSuite() { setenv("TZ", "UTC", 1); }
};

TEST_F(RenderTest, InstantsShowAsLocalTimesInTextAndRawInJson) {
  referral::v1::Referral r;
  r.set_referral_id("ref-1");
  YILIAN_SET_MS(r, submitted_at, 1796642246572);
  YILIAN_SET_MS(r, respond_by, 1796645846572);
  r.set_escalation_level(2);
  const std::string text = ToText(r);
  EXPECT_NE(text.find("submitted_at: 2026-12-07 11:17:26\n"), std::string::npos) << text;
  EXPECT_NE(text.find("respond_by: 2026-12-07 12:17:26\n"), std::string::npos) << text;
  EXPECT_NE(text.find("escalation_level: 2\n"), std::string::npos) << text;
  EXPECT_NE(ToJson(r).find("\"submitted_at\":\"2026-12-07T11:17:26.572Z\""), std::string::npos) << ToJson(r);
  EXPECT_EQ(Field(r, "submitted_at"), "2026-12-07T11:17:26.572Z");  // --get keeps the raw value
}

TEST_F(RenderTest, TimestampsToo_DurationsAndCountsStayNumbers) {
  events::v1::Envelope env;
  env.mutable_recorded_at()->set_seconds(1796642246);
  env.set_source_sequence(1796642246572);  // a big number that is not an instant
  const std::string text = ToText(env);
  EXPECT_NE(text.find("recorded_at: 2026-12-07 11:17:26\n"), std::string::npos) << text;
  EXPECT_NE(text.find("source_sequence: 1796642246572\n"), std::string::npos) << text;
  EXPECT_EQ(ShownValue("propagation.max_ms", "1796642246572"), "1796642246572");
  EXPECT_EQ(ShownValue("buckets.upper_bound_ms", "12.5"), "12.5");
  EXPECT_EQ(ShownValue("time.to", "2026-12-07T11:17:26Z"), "2026-12-07 11:17:26");
  EXPECT_EQ(ShownValue("reason", "2026-12-07T11:17:26Z but not a timestamp field"),
            "2026-12-07T11:17:26Z but not a timestamp field");
}

}  // namespace
}  // namespace yilian::ctl
