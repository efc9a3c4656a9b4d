// The shared bounds: what they refuse, and how much of the input an error quotes.
#include "yilian/domain/limits/limits.h"

#include <gtest/gtest.h>

#include "yilian/testing/status_matchers.h"

namespace yilian::domain::limits {
namespace {

TEST(LimitsTest, AnErrorQuotesAShortPrefixCutOnACharacterBoundary) {
  EXPECT_EQ(Echo("ref-1"), "\"ref-1\"");
  std::string chinese;
  for (int i = 0; i < 30; ++i) chinese += "转诊";  // 3 bytes a character
  const std::string echoed = Echo(chinese);
  EXPECT_LT(echoed.size(), 80u);
  EXPECT_NE(echoed.find("(180 bytes)"), std::string::npos) << echoed;
  const std::string prefix = echoed.substr(1, echoed.find("...") - 1);
  EXPECT_EQ(prefix.size() % 3, 0u) << "no character cut in half";
}

TEST(LimitsTest, ReferencesTextsAndCounts) {
  EXPECT_OK(Reference("case_id", "case-1"));
  EXPECT_OK(Reference("consortium_id", "", /*required=*/false));
  EXPECT_CODE(Reference("case_id", ""), kInvalidArgument);
  EXPECT_CODE(Reference("case_id", std::string(129, 'c')), kInvalidArgument);
  auto spaced = Reference("case_id", "case 1");
  EXPECT_CODE(spaced, kInvalidArgument);
  EXPECT_NE(spaced.message().find("\"case 1\""), std::string::npos) << spaced;
  EXPECT_CODE(Reference("case_id", "case\n1"), kInvalidArgument);
  EXPECT_OK(Text("reason", "", kReason));
  EXPECT_CODE(Text("reason", "  ", kReason, /*required=*/true), kInvalidArgument);
  auto long_text = Text("reason", std::string(501, 'r'), kReason);
  EXPECT_EQ(long_text.message(), "reason is 501 bytes; at most 500 are taken");
  EXPECT_OK(Count("exam_results", 50, 50));
  EXPECT_EQ(Count("exam_results", 51, 50).message(), "exam_results has 51 items; at most 50 are taken");
}

}  // namespace
}  // namespace yilian::domain::limits
