// Every fuzz target over its seed corpus (fuzz/corpus/<target>/) and every input that once
// crashed it (fuzz/regressions/<target>/): each must return normally. Built by the normal
// (GCC) build and run by ctest (`ctest -R fuzz_regression`), so a fixed crash stays fixed
// without a fuzzing run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "targets.h"

namespace yilian::fuzz {
namespace {

namespace fs = std::filesystem;

}  // namespace

void PrintTo(const Target& t, std::ostream* os) { *os << t.name; }

namespace {

std::vector<fs::path> Inputs(const std::string& kind, const std::string& target) {
  std::vector<fs::path> out;
  const fs::path dir = fs::path(YILIAN_FUZZ_DIR) / kind / target;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class FuzzRegressionTest : public ::testing::TestWithParam<Target> {};

TEST_P(FuzzRegressionTest, SeedsAndCrashInputsRunClean) {
  const Target& t = GetParam();
  const auto seeds = Inputs("corpus", t.name);
  EXPECT_FALSE(seeds.empty()) << "fuzz/corpus/" << t.name << " has no seeds (run yilian-fuzz-seeds)";
  auto inputs = seeds;
  const auto crashes = Inputs("regressions", t.name);
  inputs.insert(inputs.end(), crashes.begin(), crashes.end());
  for (const auto& p : inputs) {
    SCOPED_TRACE(p.string());
    const std::string bytes = Read(p);
    EXPECT_EQ(t.fn(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), 0);
  }
}

TEST_P(FuzzRegressionTest, EmptyAndTinyInputsRunClean) {
  const Target& t = GetParam();
  const uint8_t bytes[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  for (size_t n = 0; n <= sizeof bytes; ++n) EXPECT_EQ(t.fn(bytes, n), 0);
}

INSTANTIATE_TEST_SUITE_P(fuzz_regression, FuzzRegressionTest, ::testing::ValuesIn(AllTargets()),
                         [](const ::testing::TestParamInfo<Target>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace yilian::fuzz
