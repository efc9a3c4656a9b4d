#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "yilian/bus/service_core.h"
#include "yilian/host/service_config.h"

namespace yilian::bus {
namespace {

std::optional<std::string> NoEnv(const std::string&) { return std::nullopt; }

TEST(StoreBudgetTest, ComesFromTheServiceKeysInMiB) {
  auto defaults = common::Config::Load(host::ServiceConfigKeys("referral"), {}, NoEnv);
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  const eventstore::StoreBudget d = StoreBudgetFrom(*defaults);
  EXPECT_EQ(d.block_cache_bytes, size_t{32} << 20);
  EXPECT_EQ(d.memtable_bytes, size_t{32} << 20);
  EXPECT_EQ(defaults->GetInt("memory.malloc_arenas"), 2);

  auto set = common::Config::Load(host::ServiceConfigKeys("referral"),
                                  {"--store.cache_mb=8", "--store.memtable_mb=16", "--memory.malloc_arenas=0"}, NoEnv);
  ASSERT_TRUE(set.ok()) << set.status();
  const eventstore::StoreBudget s = StoreBudgetFrom(*set);
  EXPECT_EQ(s.block_cache_bytes, size_t{8} << 20);
  EXPECT_EQ(s.memtable_bytes, size_t{16} << 20);
  EXPECT_EQ(set->GetInt("memory.malloc_arenas"), 0);
}

TEST(StoreBudgetTest, RejectsBudgetsBelowOneMiBAndNegativeArenas) {
  for (const char* bad : {"--store.cache_mb=0", "--store.memtable_mb=-4", "--memory.malloc_arenas=-1"}) {
    auto c = common::Config::Load(host::ServiceConfigKeys("referral"), {bad}, NoEnv);
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(c.status().message().find(std::string(bad).substr(2, 10)), std::string::npos) << c.status();
  }
}

}  // namespace
}  // namespace yilian::bus
