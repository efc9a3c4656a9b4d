// Prints the green channel's case-open latency on this machine: OpenCase over gRPC (loopback),
// placement over the sample consortia's 38 institutions, the bed hold and the case appended
// durably (fsync'd group commit) before the reply, at 1, 16 and 64 concurrent dispatchers.
// Each dispatcher closes its case after the timed open (so wards keep their real occupancy);
// the closes share the journal with the opens, as arrivals and discharges would.
// Beside it, the ceiling: an empty unary call (grpc.health.v1 Check) against the same server.
// Goal (issue 6): p99 <= 5 ms at 16 concurrent dispatchers.
// Usage: greenchannel_bench [--calls=4000] [--clients=N]   (calls per level; --clients: that level only)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "bench_util.h"
#include "greenchannel_node.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "yilian/common/logging.h"
#include "yilian/common/timestamp.h"
#include "yilian/testing/temp_dir.h"

using namespace yilian;
using bench::Figures;
using bench::Percentile;
using bench::Run;
using bench::SteadyClock;
namespace gv1 = ::yilian::greenchannel::v1;

namespace {

// Patients spread over the four regions of the sample, with conditions that need different
// ward kinds, so placements land on a dozen wards as they would in a province.
struct Spot {
  double lat, lon;
};
constexpr Spot kSpots[] = {{27.70, 111.95}, {31.20, 121.45}, {31.03, 112.20}, {27.34, 117.49}, {28.20, 112.94}};
constexpr gv1::Condition kConditions[] = {
    gv1::STROKE, gv1::STEMI, gv1::MAJOR_TRAUMA, gv1::MATERNAL_EMERGENCY, gv1::PAEDIATRIC_CRITICAL, gv1::OTHER};

}  // namespace

int main(int argc, char** argv) {
  int calls = 4000;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--calls=", 8) == 0) calls = std::atoi(argv[i] + 8);
  (void)common::InitLogging({"bench", "warn", ""});
  testing::TempDir dir;
  greenchannel::GreenChannelNode node(dir.Sub("node"));
  node.ImportSample(YILIAN_SAMPLE_FILE);
  gv1::BedBoard board;
  if (!node.stub->GetBedBoard(greenchannel::GreenChannelNode::As("dispatch").get(), {}, &board).ok()) return 1;
  std::printf("green channel case open (gRPC loopback, hold + case durable before the reply), %d calls per level\n",
              calls);
  std::printf("sample consortia: %d wards on the board; placement considers every institution\n", board.wards_size());

  auto channel = grpc::CreateChannel(node.stack->address(), grpc::InsecureChannelCredentials());
  auto stub = gv1::GreenChannel::NewStub(channel);
  auto health = grpc::health::v1::Health::NewStub(channel);
  std::atomic<int64_t> serial{0};
  std::atomic<int> overflow{0}, close_errors{0};
  for (int threads : bench::Levels(argc, argv, {1, 16, 64})) {
    std::vector<std::string> opened(static_cast<size_t>(calls));
    auto open = [&](int, int i) {
      gv1::OpenCaseRequest r;
      const auto& s = kSpots[i % 5];
      r.set_condition(kConditions[i % 6]);
      r.set_severity(1 + i % 5);
      r.mutable_location()->set_latitude(s.lat + 0.001 * (i % 50));
      r.mutable_location()->set_longitude(s.lon - 0.001 * (i % 70));
      YILIAN_SET_MS(r, first_medical_contact_at, absl::ToUnixMillis(node.clock.Now()) - 60000);
      r.set_dispatch_centre("120-bench");
      r.set_request_id("bench-" + std::to_string(serial.fetch_add(1)));
      gv1::CaseReply out;
      auto ctx = greenchannel::GreenChannelNode::As("dispatch");
      const bool ok = stub->OpenCase(ctx.get(), r, &out).ok();
      if (ok && out.emergency_case().placement().step() == gv1::LEAD_OVERFLOW) overflow.fetch_add(1);
      opened[static_cast<size_t>(i)] = out.emergency_case().case_id();
      return ok;
    };
    // Each dispatcher then closes its case (untimed: its hold is released), so the wards stay
    // at their real sizes instead of growing by thousands of holds.
    auto close = [&](int, int i) {
      gv1::CloseCaseRequest r;
      r.set_case_id(opened[static_cast<size_t>(i)]);
      r.set_outcome("bench");
      gv1::CaseReply out;
      auto ctx = greenchannel::GreenChannelNode::As("dispatch");
      if (!stub->CloseCase(ctx.get(), r, &out).ok()) close_errors.fetch_add(1);
    };
    Run(threads, std::min(calls, 200), open, close);  // warm-up
    const Figures f = Run(threads, calls, open, close);
    auto empty = [&](int, int) {
      grpc::health::v1::HealthCheckRequest req;
      grpc::health::v1::HealthCheckResponse out;
      grpc::ClientContext ctx;
      return health->Check(&ctx, req, &out).ok();
    };
    const Figures c = Run(threads, calls, empty, [](int, int) {});
    std::printf("%2d dispatchers: %7.0f opens/s  p50 %.2f ms  p99 %.2f ms  p999 %.2f ms  max %.2f ms  errors %d%s\n",
                threads, f.per_second, f.p50, f.p99, f.p999, f.max, f.errors,
                threads == 16 ? "   (goal: p99 <= 5 ms)" : "");
    std::printf("   empty call: %7.0f calls/s  p50 %.2f ms  p99 %.2f ms   -> opens at %.2f of the ceiling\n",
                c.per_second, c.p50, c.p99, f.per_second / c.per_second);
  }
  {  // the same open without gRPC, one caller: what the service itself costs
    std::vector<double> lat;
    command::Call call;
    call.actor = {"dispatcher", "", common::Role::ROLE_DISPATCH};
    for (int i = 0; i < std::min(calls, 1000); ++i) {
      gv1::OpenCaseRequest r;
      const auto& s = kSpots[i % 5];
      r.set_condition(kConditions[i % 6]);
      r.set_severity(1);
      r.mutable_location()->set_latitude(s.lat);
      r.mutable_location()->set_longitude(s.lon);
      YILIAN_SET_MS(r, first_medical_contact_at, absl::ToUnixMillis(node.clock.Now()) - 60000);
      r.set_dispatch_centre("120-bench");
      call.idempotency_key = "direct-" + std::to_string(i);
      call.request_hash = call.idempotency_key;
      const auto t0 = SteadyClock::now();
      auto c = node.stack->cases().Open(call, r, nullptr);
      lat.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count());
      if (!c.ok()) continue;
      gv1::CloseCaseRequest close;
      close.set_case_id(c->emergency_case().case_id());
      close.set_outcome("bench");
      (void)node.stack->cases().Close({.actor = call.actor}, close, nullptr);
    }
    std::printf(" 1 caller, no gRPC (CaseCommands::Open): p50 %.2f ms  p99 %.2f ms\n", Percentile(lat, 0.5),
                Percentile(lat, 0.99));
  }
  std::printf("cases placed in lead overflow (no bed): %d; failed closes: %d\n", overflow.load(), close_errors.load());
  return 0;
}
