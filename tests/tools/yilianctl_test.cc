// yilianctl as a user runs it, against a real registry over gRPC: a readable table, JSON
// lines, requests from --set and -d, describe and list, and the exit codes that tell usage
// errors (2), refused commands (3) and an unreachable service (4) apart.
#include <gtest/gtest.h>

#include <filesystem>

#include "nlohmann/json.hpp"
#include "registry_node.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/subprocess.h"
#include "yilian/testing/temp_dir.h"

namespace yilian {
namespace {

struct Run {
  int code;
  std::string out;
};

// Runs yilianctl with its stderr joined to the stdout read here.
Run Ctl(std::vector<std::string> args) {
  args.insert(args.begin(), {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1", YILIANCTL});
  testing::Subprocess p(args);
  std::string out;
  while (auto line = p.ReadLine()) out += *line + "\n";
  return {p.ExitCode(), out};
}

class YilianctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.Sub("registry"));
    registry_ = std::make_unique<registry::RegistryNode>(dir_.Sub("registry") + "/db");
    registry_->ImportSample(YILIAN_SAMPLE_FILE);
    address_ = registry_->host->address();
  }
  testing::TempDir dir_;
  std::unique_ptr<registry::RegistryNode> registry_;
  std::string address_;
};

TEST_F(YilianctlTest, ListsAsATableOrJsonAndBuildsRequestsFromFlags) {
  auto table = Ctl({"registry", "list-institutions", "--address", address_, "--token", "admin", "--set",
                    "consortium_id=loudi-alliance"});
  ASSERT_EQ(table.code, 0) << table.out;
  EXPECT_NE(table.out.find("institutions (5):"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("institution_id"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("GENERAL_MEDICINE, FAMILY_DOCTOR"), std::string::npos) << table.out;  // lists joined
  EXPECT_NE(table.out.find("qiaotouhe-thc"), std::string::npos);

  auto json = Ctl({"registry", "GetInstitution", "--address", address_, "--token", "admin", "-d",
                   R"({"institution_id": "loudi-1st"})", "--json"});
  ASSERT_EQ(json.code, 0) << json.out;
  auto parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["institution"]["institution_id"], "loudi-1st");
  EXPECT_EQ(parsed["institution"]["tier"], 3);

  auto described = Ctl({"describe", "registry", "change-ward-capacity"});
  EXPECT_EQ(described.code, 0);
  EXPECT_NE(described.out.find("emergency_reserved"), std::string::npos) << described.out;
  auto listed = Ctl({"list"});
  EXPECT_EQ(listed.code, 0);
  for (const char* s : {"registry", "referral", "greenchannel", "audit", "open-case", "replay", "submit"})
    EXPECT_NE(listed.out.find(s), std::string::npos) << s;
}

TEST_F(YilianctlTest, ExitCodesTellUsageRefusalAndUnreachableApart) {
  EXPECT_EQ(Ctl({"registry", "no-such-method", "--address", address_}).code, 2);
  EXPECT_EQ(Ctl({"nowhere", "list-institutions", "--address", address_}).code, 2);
  EXPECT_EQ(Ctl({"registry", "get-institution", "--address", address_, "--set", "no_such_field=1"}).code, 2);
  EXPECT_EQ(Ctl({"registry", "get-institution", "--address", address_, "--bogus-flag"}).code, 2);
  // Refused: an unknown caller, a caller without the role, an unknown id.
  EXPECT_EQ(Ctl({"registry", "get-institution", "--address", address_, "--token", "wrong", "--set",
                 "institution_id=loudi-1st"})
                .code,
            3);
  EXPECT_EQ(Ctl({"registry", "suspend-institution", "--address", address_, "--token", "doc", "--set",
                 "institution_id=loudi-1st", "--set", "reason=test"})
                .code,
            3);
  EXPECT_EQ(
      Ctl({"registry", "get-institution", "--address", address_, "--token", "admin", "--set", "institution_id=nowhere"})
          .code,
      3);
  // A refusal's Problem follows as one JSON line a script can act on.
  const auto bad = Ctl({"registry", "suspend-institution", "--address", address_, "--token", "admin", "--set",
                        "institution_id=loudi-1st", "--set", "reason=" + std::string(600, 'x')});
  EXPECT_EQ(bad.code, 3) << bad.out;
  const size_t at = bad.out.find("yilianctl: problem: ");
  ASSERT_NE(at, std::string::npos) << bad.out;
  const auto problem = nlohmann::json::parse(bad.out.substr(at + 20, bad.out.find('\n', at) - at - 20));
  EXPECT_EQ(problem["type"], "field-invalid");
  EXPECT_EQ(problem["field"], "reason");
  const int64_t head = registry_->Head();
  registry_.reset();  // nothing listens there now
  EXPECT_EQ(Ctl({"registry", "get-institution", "--address", address_, "--token", "admin", "--timeout", "3", "--set",
                 "institution_id=loudi-1st"})
                .code,
            4);
  EXPECT_GT(head, 0);
}

}  // namespace
}  // namespace yilian
