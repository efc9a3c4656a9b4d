// The access log and correlation ids at the gRPC edge: every call is logged once as a JSON
// record with its method, code, duration and correlation id; a caller's valid
// x-correlation-id is kept, a missing or unfit one is replaced by a new id, and the handler
// and the caller (in the reply's initial metadata) see the same id the log carries.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"
#include "yilian/common/logging.h"
#include "yilian/common/uuid.h"
#include "yilian/host/grpc_status.h"
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

Answer Call(testing::v1::Echo::Stub& stub, const std::string* header) {
  grpc::ClientContext ctx;
  if (header) ctx.AddMetadata("x-correlation-id", *header);
  testing::v1::WhoAmIRequest req;
  common::v1::Principal out;
  EXPECT_TRUE(stub.WhoAmI(&ctx, req, &out).ok());
  auto it = ctx.GetServerInitialMetadata().find("x-correlation-id");
  return {out.subject(), it == ctx.GetServerInitialMetadata().end() ? "" : std::string(it->second.data(), it->second.size())};
}

TEST(AccessLogTest, EveryCallIsOneJsonRecordCarryingTheIdTheHandlerAndCallerSee) {
  yilian::testing::TempDir dir;
  const std::string log_file = dir.path() + "/service.log";
  ASSERT_OK(common::InitLogging({.service = "echo", .level = "info", .file = log_file, .format = "json"}));
  CorrelationEcho echo;
  auto auth = Authenticator::FromTokens({});
  ASSERT_OK_AND_ASSIGN(auto server, ServiceHost::Start({.service_name = "echo"}, auth, {&echo}));
  auto channel = grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials());
  auto stub = testing::v1::Echo::NewStub(channel);

  const std::string given = "flow-2026.11:abc_1";
  const Answer kept = Call(*stub, &given);
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
