// The embedded broker serves real Kafka clients, survives a broker going down, and the
// yilian-broker program starts, self-checks and exits.
#include "yilian/bus/embedded_broker.h"

#include "gtest/gtest.h"
#include "yilian/bus/self_check.h"
#include "yilian/bus/topic_limit.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/subprocess.h"

namespace yilian::bus {
namespace {

TEST(EmbeddedBrokerTest, EveryYilianTopicRoundTripsAMessage) {
  ASSERT_OK_AND_ASSIGN(auto broker, EmbeddedBroker::Start({}));
  EXPECT_NE(broker->bootstrap().find("127.0.0.1:"), std::string::npos) << broker->bootstrap();
  EXPECT_OK(RoundTrip(broker->bootstrap(), YilianTopics(), absl::Seconds(180)));
}

// A cluster that can describe a topic's configuration gives its max.message.bytes; the
// embedded broker cannot, and says so at once (it does not leave a service waiting).
TEST(EmbeddedBrokerTest, ATopicsMessageLimitIsReadOrSaidUnknown) {
  ASSERT_OK_AND_ASSIGN(auto broker, EmbeddedBroker::Start({}));
  auto limit = TopicMaxMessageBytes({broker->bootstrap(), "limit-check", {}}, TopicFor("referral"), absl::Seconds(5));
  if (limit.ok())
    EXPECT_GT(*limit, 0);
  else
    EXPECT_EQ(limit.status().code(), absl::StatusCode::kUnimplemented) << limit.status();
}

TEST(EmbeddedBrokerTest, KeepsServingWhileEachBrokerInTurnIsDown) {
  ASSERT_OK_AND_ASSIGN(auto broker, EmbeddedBroker::Start({}));
  for (int id = 1; id <= 3; ++id) {
    ASSERT_OK(broker->SetBrokerDown(id));
    EXPECT_OK(RoundTrip(broker->bootstrap(), YilianTopics(), absl::Seconds(180))) << "broker " << id << " down";
    ASSERT_OK(broker->SetBrokerUp(id));
  }
  EXPECT_CODE(broker->SetBrokerDown(4), kInvalidArgument);
}

TEST(EmbeddedBrokerProgramTest, SelfCheckPasses) {
  yilian::testing::Subprocess broker({YILIAN_BROKER_BIN, "--self-check"});
  auto first = broker.ReadLine();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->rfind("bootstrap=127.0.0.1:", 0), 0u) << *first;
  EXPECT_EQ(broker.ReadLine().value_or(""), "self-check: every topic round-tripped a message");
  EXPECT_EQ(broker.ExitCode(), 0);
}

}  // namespace
}  // namespace yilian::bus
