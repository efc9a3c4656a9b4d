// The service host: health, authentication, principal, graceful shutdown.
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "echo_service.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "yilian/host/service_host.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/subprocess.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::host {
namespace {

std::string WriteTokens(const yilian::testing::TempDir& dir) {
  const std::string path = dir.Sub("tokens");
  std::ofstream out(path);
  out << "# test tokens\n"
      << "sha256:" << TokenHash("admin-secret") << " admin@loudi loudi-1st consortium-admin\n"
      << "sha256:" << TokenHash("dispatch-secret") << "\tdispatch@120 loudi-120 dispatch\n";
  return path;
}

grpc::Status CheckHealth(const std::string& address, grpc::health::v1::HealthCheckResponse* out) {
  auto stub = grpc::health::v1::Health::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return stub->Check(&ctx, {}, out);
}

grpc::Status WhoAmI(const std::string& address, const std::string& authorization, common::v1::Principal* out) {
  auto stub = testing::v1::Echo::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
  return stub->WhoAmI(&ctx, {}, out);
}

class HostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(auth_, Authenticator::FromTokensFile(WriteTokens(dir_)));
    echo_ = std::make_unique<EchoService>(&auth_);
    ASSERT_OK_AND_ASSIGN(host_, ServiceHost::Start({.service_name = "t"}, auth_, {echo_.get()}));
  }
  yilian::testing::TempDir dir_;
  Authenticator auth_;
  std::unique_ptr<EchoService> echo_;
  std::unique_ptr<ServiceHost> host_;
};

TEST_F(HostTest, HealthReportsServingWithoutCredentials) {
  EXPECT_GT(host_->port(), 0);
  grpc::health::v1::HealthCheckResponse health;
  ASSERT_TRUE(CheckHealth(host_->address(), &health).ok());
  EXPECT_EQ(health.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(HostTest, CallsWithoutAValidTokenAreUnauthenticated) {
  common::v1::Principal p;
  auto none = WhoAmI(host_->address(), "", &p);
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(none.error_message().find("Bearer"), std::string::npos);
  EXPECT_EQ(WhoAmI(host_->address(), "Bearer wrong", &p).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(WhoAmI(host_->address(), "Basic admin-secret", &p).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(HostTest, ACallWithATokenCarriesItsPrincipal) {
  common::v1::Principal p;
  ASSERT_TRUE(WhoAmI(host_->address(), "Bearer admin-secret", &p).ok());
  EXPECT_EQ(p.subject(), "admin@loudi");
  EXPECT_EQ(p.institution_id(), "loudi-1st");
  EXPECT_EQ(p.role(), common::Role::ROLE_CONSORTIUM_ADMIN);
  ASSERT_TRUE(WhoAmI(host_->address(), "Bearer dispatch-secret", &p).ok());
  EXPECT_EQ(p.role(), common::Role::ROLE_DISPATCH);
}

TEST_F(HostTest, ShutdownMarksNotServingAndStops) {
  const std::string address = host_->address();
  host_->Shutdown(absl::Seconds(5));
  grpc::health::v1::HealthCheckResponse health;
  auto stub = grpc::health::v1::Health::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  EXPECT_FALSE(stub->Check(&ctx, {}, &health).ok());
}

// Answers WhoAmI only once `group` calls are inside it at the same time (as handlers waiting on
// a group commit are), noting the thread each call ran on.
class RendezvousService final : public testing::v1::Echo::Service {
 public:
  explicit RendezvousService(int group) : group_(group) {}
  grpc::Status WhoAmI(grpc::ServerContext*, const testing::v1::WhoAmIRequest*, common::v1::Principal*) override {
    std::unique_lock lock(mu_);
    threads_.insert(gettid());
    const int64_t until = (arrived_++ / group_ + 1) * group_;
    cv_.notify_all();
    if (!cv_.wait_for(lock, std::chrono::seconds(60), [&] { return arrived_ >= until; }))
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "the group never gathered");
    return grpc::Status::OK;
  }
  size_t threads() {
    std::lock_guard lock(mu_);
    return threads_.size();
  }

 private:
  const int group_;
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t arrived_ = 0;
  std::set<pid_t> threads_;
};

TEST(ServiceHostThreadsTest, ConcurrentBlockingCallsReuseTheServersThreads) {
  // gRPC's default keeps 2 idle threads: each round below would end 6 threads and start 6
  // new ones (about 6 x 25 = 150 threads). The host keeps them for the next calls.
  constexpr int kGroup = 8, kRounds = 25;
  RendezvousService service(kGroup);
  ASSERT_OK_AND_ASSIGN(auto host, ServiceHost::Start({.service_name = "t"}, Authenticator(), {&service}));
  auto stub = testing::v1::Echo::NewStub(grpc::CreateChannel(host->address(), grpc::InsecureChannelCredentials()));
  std::atomic<int> failed{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < kGroup; ++c)
    callers.emplace_back([&] {
      for (int r = 0; r < kRounds; ++r) {
        grpc::ClientContext ctx;
        common::v1::Principal out;
        if (!stub->WhoAmI(&ctx, {}, &out).ok()) failed.fetch_add(1);
      }
    });
  for (auto& t : callers) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GE(service.threads(), static_cast<size_t>(kGroup));
  // 8 in the handler, 1 waiting, and in the worst case up to 8 still finishing the last round.
  EXPECT_LE(service.threads(), static_cast<size_t>(3 * kGroup)) << "the server started threads per call";
}

TEST(ServiceHostListenTest, PlaintextStaysOnLoopback) {
  for (const char* beyond : {"0.0.0.0:0", "[::]:0", ":0", "10.1.2.3:0", "hospital.example:0", "127.example.org:0"}) {
    auto host = ServiceHost::Start({.service_name = "t", .listen_address = beyond}, Authenticator(), {});
    EXPECT_CODE(host, kFailedPrecondition) << beyond;
    EXPECT_NE(host.status().message().find("TLS"), std::string::npos) << host.status();
  }
  for (const char* loopback : {"127.0.0.1:0", "127.0.0.2:0", "localhost:0", "[::1]:0"}) {
    auto host = ServiceHost::Start({.service_name = "t", .listen_address = loopback}, Authenticator(), {});
    // [::1] may not exist in a container without IPv6: then it cannot be bound, which is not
    // the refusal under test.
    EXPECT_NE(host.status().code(), absl::StatusCode::kFailedPrecondition) << loopback << ": " << host.status();
  }
}

TEST(AuthenticatorTest, BadTokensFilesNameTheLine) {
  yilian::testing::TempDir dir;
  std::ofstream(dir.Sub("t")) << "# ok\n\nsha256:abc admin x consortium-admin\n";
  auto bad = Authenticator::FromTokensFile(dir.Sub("t"));
  EXPECT_CODE(bad, kInvalidArgument);
  EXPECT_NE(bad.status().message().find("line 3"), std::string::npos) << bad.status();
  std::ofstream(dir.Sub("r")) << "sha256:" << TokenHash("x") << " a b surgeon\n";
  auto role = Authenticator::FromTokensFile(dir.Sub("r"));
  EXPECT_NE(role.status().message().find("\"surgeon\""), std::string::npos) << role.status();
  EXPECT_CODE(Authenticator::FromTokensFile(dir.Sub("missing")), kInvalidArgument);
  EXPECT_CODE(ServiceHost::Start({}, {}), kInvalidArgument);  // no auth configured
}

TEST(ServiceProcessTest, SigtermShutsDownCleanly) {
  yilian::testing::TempDir dir;
  yilian::testing::Subprocess server({YILIAN_HOST_TEST_SERVER, WriteTokens(dir)});
  auto line = server.ReadLine();
  ASSERT_TRUE(line.has_value());
  ASSERT_EQ(line->rfind("port=", 0), 0u) << *line;
  const std::string address = "127.0.0.1:" + line->substr(5);
  grpc::health::v1::HealthCheckResponse health;
  ASSERT_TRUE(CheckHealth(address, &health).ok());
  EXPECT_EQ(health.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  common::v1::Principal p;
  ASSERT_TRUE(WhoAmI(address, "Bearer admin-secret", &p).ok());
  server.Signal(SIGTERM);
  EXPECT_EQ(server.ReadLine().value_or(""), "stopped");
  EXPECT_EQ(server.ExitCode(), 0);
}

}  // namespace
}  // namespace yilian::host
