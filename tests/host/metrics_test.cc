// Prometheus metrics over HTTP: every RPC a ServiceHost answers is counted by method and
// status code and timed; gauges are read from their sources every second; all served in
// Prometheus text format on a port picked at start.
#include "yilian/host/metrics.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "yilian/host/service_host.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/wait.h"

namespace yilian::host {
namespace {

// GET http://<address>/metrics, the body ("" when it cannot connect).
std::string Scrape(const std::string& address) {
  const size_t colon = address.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "";
  }
  const std::string req = "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n";
  (void)!write(fd, req.data(), req.size());
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fd);
  const size_t body = out.find("\r\n\r\n");
  return body == std::string::npos ? "" : out.substr(body + 4);
}

TEST(MetricsTest, CountsAndTimesEveryRpcAndServesGauges) {
  ASSERT_OK_AND_ASSIGN(auto metrics, Metrics::Start("127.0.0.1:0", "test"));
  std::atomic<int> depth{7};
  metrics->Gauge("yilian_test_depth", "a test gauge", [&] { return static_cast<double>(depth.load()); });
  metrics->Gauges("yilian_test_beds", "per ward", [] {
    return std::vector<std::pair<Metrics::Labels, double>>{{{{"ward", "icu-1"}}, 3}, {{{"ward", "ccu-1"}}, 1}};
  });
  auto auth = Authenticator::FromTokens({});
  ASSERT_OK_AND_ASSIGN(auto server, ServiceHost::Start({.service_name = "test", .metrics = metrics.get()}, auth, {}));
  auto health =
      grpc::health::v1::Health::NewStub(grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials()));
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse out;
    ASSERT_TRUE(health->Check(&ctx, req, &out).ok());
  }
  {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    req.set_service("no-such-service");
    grpc::health::v1::HealthCheckResponse out;
    EXPECT_EQ(health->Check(&ctx, req, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  depth = 9;
  std::string text;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        text = Scrape(metrics->address());
        return text.find("yilian_test_depth{service=\"test\"} 9") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << text;
  EXPECT_NE(
      text.find("yilian_grpc_requests_total{service=\"test\",code=\"0\",method=\"/grpc.health.v1.Health/Check\"} 3"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find("yilian_grpc_requests_total{service=\"test\",code=\"5\",method=\"/grpc.health.v1.Health/Check\"} 1"),
      std::string::npos);
  EXPECT_NE(text.find("yilian_grpc_request_seconds_count{service=\"test\",method=\"/grpc.health.v1.Health/Check\"} 4"),
            std::string::npos);
  EXPECT_NE(text.find("yilian_test_beds{service=\"test\",ward=\"icu-1\"} 3"), std::string::npos);
  server->Shutdown(absl::Seconds(5));
}

// A service's gauges read its parts; ServiceMain stops them before those parts go. StopGauges
// must wait for a refresh under way, and none may follow it.
TEST(MetricsTest, StopGaugesWaitsForARefreshUnderWayAndEndsThem) {
  // Declared before `metrics`, so the state the gauge reads outlives it whatever fails below.
  std::mutex mu;
  std::condition_variable cv;
  bool inside = false, release = false, finished = false, gone = false;
  int reads_after_gone = 0;
  ASSERT_OK_AND_ASSIGN(auto metrics, Metrics::Start("127.0.0.1:0", "test"));
  const auto let_go = [&] {
    {
      std::lock_guard lock(mu);
      release = true;
    }
    cv.notify_all();
  };
  metrics->Gauge("yilian_test_part", "reads a part of the service", [&] {
    std::unique_lock lock(mu);
    if (gone) ++reads_after_gone;
    inside = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    finished = true;
    return 1.0;
  });
  bool read_began;
  {
    std::unique_lock lock(mu);
    read_began = cv.wait_for(lock, std::chrono::seconds(30), [&] { return inside; });
  }
  if (!read_began) {
    let_go();
    FAIL() << "the gauge was never read";
  }
  std::atomic<bool> returned{false};
  bool finished_when_returned = false;
  std::thread stopper([&] {
    metrics->StopGauges();
    std::lock_guard lock(mu);
    finished_when_returned = finished;
    gone = true;  // the part the gauge read is destroyed now
    returned = true;
  });
  // While the read is held, StopGauges must not return (a correct one never can).
  EXPECT_FALSE(testing::WaitFor([&] { return returned.load(); }, std::chrono::milliseconds(300)));
  let_go();
  stopper.join();
  EXPECT_TRUE(finished_when_returned);
  metrics->StopGauges();  // idempotent
  metrics.reset();
  EXPECT_EQ(reads_after_gone, 0);
}

TEST(MetricsTest, RefusesAnAddressItCannotBind) {
  ASSERT_OK_AND_ASSIGN(auto first, Metrics::Start("127.0.0.1:0", "a"));
  EXPECT_CODE(Metrics::Start(first->address(), "b"), kUnavailable);
}

}  // namespace
}  // namespace yilian::host
