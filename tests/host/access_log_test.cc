// The access log and correlation ids at the gRPC edge: every call is logged once as a JSON
// record with its method, code, duration, principal and correlation id; a caller's valid
// x-correlation-id is kept, a missing or unfit one is replaced by a new id, and the handler
// and the caller (in the reply's initial metadata) see the same id the log carries.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"
#include "yilian/common/logging.h"
#include "yilian/common/uuid.h"
#include "yilian/host/grpc_status.h"
#include "yilian/host/service_config.h"
#include "yilian/host/service_host.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"
#include "yilian/testing/v1/testing.grpc.pb.h"

namespace yilian::host {
namespace {

// Answers WhoAmI with the correlation id the handler sees, as the subject.
class CorrelationEcho final : public testing::v1::Echo::Service {
  grpc::Status WhoAmI(grpc::ServerContext* ctx, const testing::v1::WhoAmIRequest*,
                      common::v1::Principal* out) override {
    out->set_subject(CorrelationId(*ctx));
    return grpc::Status::OK;
  }
};

struct Answer {
  std::string handler_saw, sent_back;
};

Answer Call(testing::v1::Echo::Stub& stub, const std::string* header, const char* token = nullptr) {
  grpc::ClientContext ctx;
  if (header) ctx.AddMetadata("x-correlation-id", *header);
  if (token) ctx.AddMetadata("authorization", std::string("Bearer ") + token);
  testing::v1::WhoAmIRequest req;
  common::v1::Principal out;
  EXPECT_TRUE(stub.WhoAmI(&ctx, req, &out).ok());
  auto it = ctx.GetServerInitialMetadata().find("x-correlation-id");
  return {out.subject(),
          it == ctx.GetServerInitialMetadata().end() ? "" : std::string(it->second.data(), it->second.size())};
}

TEST(AccessLogTest, EveryCallIsOneJsonRecordCarryingTheIdTheHandlerAndCallerSee) {
  yilian::testing::TempDir dir;
  const std::string log_file = dir.path() + "/service.log";
  ASSERT_OK(common::InitLogging({.service = "echo", .level = "info", .file = log_file, .format = "json"}));
  CorrelationEcho echo;
  auto auth = Authenticator::FromTokens({{"doc-token", {"dr@loudi-1st", "loudi-1st", common::Role::ROLE_CLINICIAN}}});
  ASSERT_OK_AND_ASSIGN(auto server, ServiceHost::Start({.service_name = "echo"}, auth, {&echo}));
  auto channel = grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials());
  auto stub = testing::v1::Echo::NewStub(channel);

  const std::string given = "flow-2026.11:abc_1";
  const Answer kept = Call(*stub, &given, "doc-token");
  EXPECT_EQ(kept.handler_saw, given);
  EXPECT_EQ(kept.sent_back, given);
  const Answer fresh = Call(*stub, nullptr);
  EXPECT_TRUE(common::IsUuid(fresh.handler_saw)) << fresh.handler_saw;
  EXPECT_EQ(fresh.sent_back, fresh.handler_saw);
  const std::string unfit = "Zhang San 13800000000 {\"x\":1}";  // could smuggle data into logs
  const Answer replaced = Call(*stub, &unfit);
  EXPECT_TRUE(common::IsUuid(replaced.handler_saw)) << replaced.handler_saw;
  EXPECT_EQ(replaced.sent_back, replaced.handler_saw);
  {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse out;
    ASSERT_TRUE(grpc::health::v1::Health::NewStub(channel)->Check(&ctx, req, &out).ok());  // debug level: not logged
  }
  server.reset();
  ASSERT_OK(common::InitLogging({}));  // flush and close the file

  std::ifstream in(log_file);
  std::map<std::string, nlohmann::json> calls;  // correlation id -> its record
  int records = 0;
  for (std::string line; std::getline(in, line);) {
    ++records;
    EXPECT_EQ(line.find("Zhang San"), std::string::npos) << line;
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(j.is_object()) << line;
    for (const char* key : {"ts", "level", "service", "msg"}) EXPECT_TRUE(j.contains(key)) << key << " in " << line;
    EXPECT_EQ(j["service"], "echo");
    if (j.contains("rpc")) calls[j["correlation_id"].get<std::string>()] = j;
  }
  ASSERT_EQ(calls.size(), 3u) << records << " records";
  for (const auto& id : {given, fresh.handler_saw, replaced.handler_saw}) {
    ASSERT_TRUE(calls.count(id)) << id;
    EXPECT_EQ(calls[id]["rpc"], "/yilian.testing.v1.Echo/WhoAmI");
    EXPECT_EQ(calls[id]["code"], "OK");
    EXPECT_EQ(calls[id]["msg"], "rpc WhoAmI OK");
    EXPECT_EQ(calls[id]["level"], "info");
    EXPECT_GE(std::stod(calls[id]["ms"].get<std::string>()), 0.0);
  }
  // The record names who called: the principal, or that there was none.
  EXPECT_EQ(calls[given]["subject"], "dr@loudi-1st");
  EXPECT_EQ(calls[given]["institution"], "loudi-1st");
  EXPECT_EQ(calls[given]["role"], "clinician");
  EXPECT_FALSE(calls[given].contains("principal"));
  EXPECT_EQ(calls[fresh.handler_saw]["principal"], "unauthenticated");
  EXPECT_FALSE(calls[fresh.handler_saw].contains("subject"));
}

TEST(LoggingTest, AFileRotatesAtItsSizeKeepingTheNewestRecords) {
  yilian::testing::TempDir dir;
  const std::string log_file = dir.path() + "/svc.log";
  ASSERT_OK(common::InitLogging({.service = "svc",
                                 .file = log_file,
                                 .format = "text",
                                 .file_max_bytes = 4096,
                                 .file_keep = 2,
                                 .to_stderr = false}));
  for (int i = 0; i < 300; ++i) common::Logger().info("record {:04d} {}", i, std::string(60, 'x'));  // ~100 bytes each
  ASSERT_OK(common::InitLogging({}));                                                                // closes the file
  auto read = [](const std::string& path) {
    std::vector<int> records;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);)
      records.push_back(std::stoi(line.substr(line.find("record ") + 7, 4)));
    return records;
  };
  // spdlog numbers a rotated file before its extension: svc.1.log, svc.2.log.
  const std::string one = dir.path() + "/svc.1.log", two = dir.path() + "/svc.2.log";
  const auto current = read(log_file), first = read(one), second = read(two);
  EXPECT_FALSE(std::ifstream(dir.path() + "/svc.3.log").good()) << "only two rotated files are kept";
  ASSERT_FALSE(current.empty());
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(second.empty());
  EXPECT_EQ(current.back(), 299);  // the newest records are in the current file
  // Oldest to newest across the files, with no gap: .2, .1, then the current one.
  std::vector<int> all = second;
  all.insert(all.end(), first.begin(), first.end());
  all.insert(all.end(), current.begin(), current.end());
  for (size_t i = 1; i < all.size(); ++i) ASSERT_EQ(all[i], all[i - 1] + 1) << i;
  EXPECT_GT(all.front(), 0) << "the oldest records were removed";
  for (const auto& path : {log_file, one, two}) EXPECT_LE(std::filesystem::file_size(path), 4096u) << path;

  EXPECT_EQ(common::InitLogging({.to_stderr = false}).code(), absl::StatusCode::kInvalidArgument)
      << "no destination at all";
  EXPECT_EQ(common::InitLogging({.file = log_file, .file_keep = 0}).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_OK(common::InitLogging({}));
}

TEST(LoggingTest, ServiceLogKeysRotateByDefaultAndRefuseOutOfRangeValues) {
  const auto no_env = [](const std::string&) { return std::optional<std::string>(); };
  auto defaults = common::Config::Load(ServiceConfigKeys("svc"), {}, no_env);
  ASSERT_OK(defaults.status());
  EXPECT_EQ(defaults->GetInt("log.file_max_mb"), 100);
  EXPECT_EQ(defaults->GetInt("log.file_keep"), 5);
  EXPECT_TRUE(defaults->GetBool("log.stderr"));
  ASSERT_OK(
      common::Config::Load(ServiceConfigKeys("svc"), {"--log.file_max_mb=0", "--log.file_keep=1000"}, no_env).status());
  for (const char* bad : {"--log.file_max_mb=-1", "--log.file_max_mb=1048577", "--log.file_keep=0",
                          "--log.file_keep=1001", "--log.stderr=maybe"})
    EXPECT_EQ(common::Config::Load(ServiceConfigKeys("svc"), {bad}, no_env).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
}

TEST(LoggingTest, ScopesTagRecordsUntilTheyCloseAndBadSettingsAreRefused) {
  yilian::testing::TempDir dir;
  const std::string log_file = dir.path() + "/text.log";
  ASSERT_OK(common::InitLogging({.service = "svc", .level = "info", .file = log_file, .format = "text"}));
  {
    common::LogScope outer("correlation_id", "c-1");
    {
      common::LogScope inner(std::vector<common::LogField>{{"referral_id", "ref-9"}, {"event", "referral#4"}});
      common::Logger().info("inside");
    }
    common::Logger().info("outer only");
  }
  common::Logger().info("none");
  common::Logger().debug("below the level");
  ASSERT_OK(common::InitLogging({}));
  std::ifstream in(log_file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line.substr(line.find(' ') + 1));  // drop the time
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "info svc: inside correlation_id=c-1 referral_id=ref-9 event=referral#4");
  EXPECT_EQ(lines[1], "info svc: outer only correlation_id=c-1");
  EXPECT_EQ(lines[2], "info svc: none");
  EXPECT_TRUE(common::LogScopeFields().empty());

  EXPECT_EQ(common::InitLogging({.format = "xml"}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(common::InitLogging({.level = "loud"}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(common::ValidCorrelationId("0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b"));
  EXPECT_TRUE(common::ValidCorrelationId("his:loudi-1st.req_42"));
  for (const char* bad : {"", "has space", "line\nbreak", "quote\"", "名字"})
    EXPECT_FALSE(common::ValidCorrelationId(bad)) << bad;
  EXPECT_FALSE(common::ValidCorrelationId(std::string(129, 'a')));
}

}  // namespace
}  // namespace yilian::host
