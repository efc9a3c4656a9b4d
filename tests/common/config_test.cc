#include "yilian/common/config.h"

#include <fstream>

#include "gtest/gtest.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::common {
namespace {

std::vector<ConfigKey> Schema() {
  return {
      {.name = "grpc.listen", .default_value = "127.0.0.1:0", .help = "listen address"},
      {.name = "data.dir", .help = "data directory"},
      {.name = "relay.batch",
       .type = ConfigType::kInt,
       .default_value = "512",
       .help = "batch size",
       .check = [](const std::string& v) { return std::stoll(v) > 0 ? "" : "must be positive"; }},
      {.name = "hold.expiry", .type = ConfigType::kDuration, .default_value = "30m", .help = "hold expiry"},
      {.name = "tls.enabled", .type = ConfigType::kBool, .default_value = "false", .help = "TLS"},
      {.name = "kafka.password", .default_value = "", .help = "SASL password", .secret = true},
  };
}

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ConfigTest, FlagsBeatEnvironmentBeatFileBeatDefaults) {
  yilian::testing::TempDir dir;
  const std::string file = dir.Sub("c.json");
  std::ofstream(file) << R"({"grpc": {"listen": "0.0.0.0:7000"}, "data.dir": "/from/file", "relay.batch": 64})";
  ASSERT_OK_AND_ASSIGN(auto c, Config::Load(Schema(), {"--config=" + file, "--data.dir=/from/flag", "--tls.enabled"},
                                            Env({{"YILIAN_DATA_DIR", "/from/env"}, {"YILIAN_HOLD_EXPIRY", "45m"}})));
  EXPECT_EQ(c.GetString("data.dir"), "/from/flag");
  EXPECT_EQ(c.GetString("grpc.listen"), "0.0.0.0:7000");
  EXPECT_EQ(c.GetInt("relay.batch"), 64);
  EXPECT_EQ(c.GetDuration("hold.expiry"), absl::Minutes(45));
  EXPECT_TRUE(c.GetBool("tls.enabled"));
  EXPECT_NE(c.Describe().find("data.dir=/from/flag (flag --data.dir)"), std::string::npos);
}

TEST(ConfigTest, BadValuesNameTheKeyAndTheirSource) {
  auto bad_int = Config::Load(Schema(), {"--data.dir=/d"}, Env({{"YILIAN_RELAY_BATCH", "lots"}}));
  EXPECT_CODE(bad_int, kInvalidArgument);
  EXPECT_NE(bad_int.status().message().find("relay.batch"), std::string::npos);
  EXPECT_NE(bad_int.status().message().find("environment YILIAN_RELAY_BATCH"), std::string::npos);

  auto check = Config::Load(Schema(), {"--data.dir=/d", "--relay.batch=0"});
  EXPECT_NE(check.status().message().find("must be positive"), std::string::npos) << check.status();

  auto missing = Config::Load(Schema(), {}, Env({}));
  EXPECT_NE(missing.status().message().find("\"data.dir\" is required"), std::string::npos) << missing.status();

  auto unknown = Config::Load(Schema(), {"--data.dri=/d"}, Env({}));
  EXPECT_NE(unknown.status().message().find("unknown flag --data.dri"), std::string::npos);

  yilian::testing::TempDir dir;
  std::ofstream(dir.Sub("c.json")) << R"({"data": {"dir": "/x"}, "grpc": {"lisen": "x"}})";
  auto typo = Config::Load(Schema(), {"--config=" + dir.Sub("c.json")}, Env({}));
  EXPECT_NE(typo.status().message().find("unknown key \"grpc.lisen\""), std::string::npos) << typo.status();

  auto duration = Config::Load(Schema(), {"--data.dir=/d", "--hold.expiry=soon"});
  EXPECT_NE(duration.status().message().find("hold.expiry"), std::string::npos);
}

TEST(ConfigTest, SecretsAreMasked) {
  ASSERT_OK_AND_ASSIGN(auto c, Config::Load(Schema(), {"--data.dir=/d", "--kafka.password=hunter2"}));
  EXPECT_EQ(c.GetString("kafka.password"), "hunter2");
  EXPECT_EQ(c.Describe().find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace yilian::common
