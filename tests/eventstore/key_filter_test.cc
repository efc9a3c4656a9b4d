// The rebuild's key filter: never "absent" for a key it was given, and rarely "maybe" for others.
#include "src/key_filter.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace yilian::eventstore {
namespace {

TEST(KeyFilterTest, NeverMissesAnAddedKeyAndRarelyClaimsAnother) {
  KeyFilter filter(100'000);
  for (int i = 0; i < 100'000; ++i) filter.Add(absl::StrCat("r/ref-", i));
  for (int i = 0; i < 100'000; ++i) ASSERT_TRUE(filter.MayContain(absl::StrCat("r/ref-", i))) << i;
  int claimed = 0;
  for (int i = 0; i < 100'000; ++i) claimed += filter.MayContain(absl::StrCat("r/other-", i));
  EXPECT_LT(claimed, 3'000);  // about 1% at 10 bits per key
}

TEST(KeyFilterTest, OverfilledItSaysMaybeMoreOftenButNeverMisses) {
  KeyFilter filter(10);  // the smallest filter, 2^16 bits, given 200k keys
  for (int i = 0; i < 200'000; ++i) filter.Add(absl::StrCat("k", i));
  for (int i = 0; i < 200'000; ++i) ASSERT_TRUE(filter.MayContain(absl::StrCat("k", i))) << i;
}

}  // namespace
}  // namespace yilian::eventstore
