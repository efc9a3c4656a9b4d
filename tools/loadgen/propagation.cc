#include "propagation.h"

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "yilian/bus/propagation.h"

namespace yilian::loadgen {

PropagationProbe::PropagationProbe(const Home& home) : token_(home.token.at("auditor")) {
  for (const auto& [service, address] : home.address)
    stubs_[service] = bus::v1::BusAdmin::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

absl::StatusOr<ConsumerStatuses> PropagationProbe::Read() const {
  ConsumerStatuses out;
  for (const auto& [service, stub] : stubs_) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx.AddMetadata("authorization", "Bearer " + token_);
    bus::v1::GetConsumerStatusResponse status;
    const grpc::Status s = stub->GetConsumerStatus(&ctx, {}, &status);
    if (s.error_code() == grpc::StatusCode::UNIMPLEMENTED) continue;  // no consumer there
    if (!s.ok()) return absl::UnavailableError(absl::StrCat("consumer status of ", service, ": ", s.error_message()));
    out[service] = std::move(status);
  }
  return out;
}

absl::StatusOr<ConsumerStatuses> PropagationProbe::ReadCaughtUp(absl::Duration deadline, bool* caught_up) const {
  const absl::Time until = absl::Now() + deadline;
  for (;;) {
    auto statuses = Read();
    if (!statuses.ok()) return statuses;
    bool done = true;
    for (const auto& [service, status] : *statuses)
      for (const auto& p : status.partitions()) done = done && p.lag() == 0;
    *caught_up = done;
    if (done || absl::Now() >= until) return statuses;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a tool polling a gauge, not a test
  }
}

std::vector<Figures> PropagationFigures(const ConsumerStatuses& before, const ConsumerStatuses& after, double seconds) {
  std::vector<Figures> rows;
  for (const auto& [consumer, status] : after) {
    const auto earlier = before.find(consumer);
    for (const auto& p : status.propagation()) {
      const bus::v1::Propagation* from = nullptr;
      if (earlier != before.end())
        for (const auto& q : earlier->second.propagation())
          if (q.source() == p.source()) from = &q;
      const bus::PropagationWindow w = bus::Subtract(p, from);
      if (w.count == 0) continue;  // nothing from that source in the window
      Figures f;
      f.name = absl::StrCat(p.source(), " -> ", consumer);
      f.count = f.ok = w.count;
      if (seconds > 0) f.per_second = static_cast<double>(w.count) / seconds;
      f.p50 = w.Percentile(0.50);
      f.p90 = w.Percentile(0.90);
      f.p99 = w.Percentile(0.99);
      f.p999 = w.Percentile(0.999);
      // The window's own maximum is known exactly when it raised the running one.
      f.max = from == nullptr || p.max_ms() > from->max_ms() ? p.max_ms() : w.MaxBoundMs();
      rows.push_back(f);
    }
  }
  return rows;
}

}  // namespace yilian::loadgen
