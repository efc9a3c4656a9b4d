// ServiceMain end to end in one process: start, serve, SIGTERM (sent to its thread), stop.
// Its own binary: ServiceMain sets up the process's logging and malloc arenas.

#include "yilian/host/service_main.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "yilian/host/authenticator.h"
#include "yilian/host/metrics.h"
#include "yilian/host/service_config.h"
#include "yilian/testing/temp_dir.h"
#include "yilian/testing/wait.h"

namespace yilian::host {
namespace {

// A part of a service that a gauge reads, like a relay or a consumer: once it is destroyed,
// a read would touch freed memory. Its teardown takes a while (as a consumer's close does).
struct Part {
  std::atomic<bool> gone{false};
  std::atomic<int> reads{0};
  std::atomic<int> reads_after_gone{0};
};

struct Teardown {
  std::shared_ptr<Part> part;
  ~Teardown() {
    if (!part) return;
    part->gone = true;
    // Long enough for the gauges' one-second refresh to come round if it still ran.
    const int before = part->reads_after_gone.load();
    testing::WaitFor([&] { return part->reads_after_gone.load() != before; }, std::chrono::milliseconds(2500));
  }
};

TEST(ServiceMainTest, StopsTheGaugesBeforeTheServiceGoes) {
  yilian::testing::TempDir dir;
  {
    std::ofstream tokens(dir.Sub("tokens"));
    tokens << "sha256:" << TokenHash("admin-secret") << " admin@loudi loudi-1st consortium-admin\n";
  }
  auto part = std::make_shared<Part>();
  Starter start = [&](const common::Config&, const HostOptions& options,
                      const Authenticator& auth) -> absl::StatusOr<Started> {
    options.metrics->Gauge("yilian_test_part", "reads a part of the service", [p = part.get()] {
      ++p->reads;
      if (p->gone) ++p->reads_after_gone;
      return 1.0;
    });
    auto host = ServiceHost::Start(options, auth, {});
    if (!host.ok()) return host.status();
    struct Running {
      Teardown teardown;
      std::unique_ptr<ServiceHost> host;  // stops first
    };
    auto running = std::make_shared<Running>();
    running->teardown.part = part;
    running->host = std::move(*host);
    return Started{.address = running->host->address(), .running = running};
  };
  std::vector<std::string> args = {"yilian-test",
                                   "--tokens.file=" + dir.Sub("tokens"),
                                   "--address.file=" + dir.Sub("address"),
                                   "--metrics.listen=127.0.0.1:0",
                                   "--data.dir=" + dir.Sub("data"),
                                   "--log.stderr=false",
                                   "--log.file=" + dir.Sub("log")};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::atomic<int> code{-1};
  std::thread service([&] {
    code = ServiceMain(static_cast<int>(argv.size()), argv.data(), "test", ServiceConfigKeys("test"), start);
  });
  const bool serving =
      testing::WaitFor([&] { return code != -1 || (std::filesystem::exists(dir.Sub("address")) && part->reads > 0); },
                       std::chrono::seconds(30));
  if (!serving || code != -1) {
    pthread_kill(service.native_handle(), SIGTERM);
    service.join();
    FAIL() << "the service did not start (exit code " << code << ")";
  }
  pthread_kill(service.native_handle(), SIGTERM);  // ServiceMain's thread blocks it and waits for it
  service.join();
  EXPECT_EQ(code, 0);
  EXPECT_EQ(part->reads_after_gone, 0) << "a gauge read a part of the service after it was gone";
}

}  // namespace
}  // namespace yilian::host
