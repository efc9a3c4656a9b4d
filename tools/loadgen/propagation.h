#pragma once
// Event propagation during a run, commit in one service -> applied in another's projection:
// every consuming service's histograms (yilian.bus.v1.BusAdmin/GetConsumerStatus, called as
// the auditor) are read when the measured window begins and again after it ends, once every
// consumer has caught up; the difference gives one row per (source -> consumer) with its
// count and percentiles (bucket upper bounds: at most 8% above the true value). Thread-safe.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "home.h"
#include "report.h"
#include "yilian/bus/v1/bus.grpc.pb.h"

namespace yilian::loadgen {

// Consumer status by consuming service.
using ConsumerStatuses = std::map<std::string, bus::v1::GetConsumerStatusResponse>;

class PropagationProbe {
 public:
  explicit PropagationProbe(const Home& home);
  // The status of every service with a consumer (one answering UNIMPLEMENTED has none and is
  // left out). An error names the service that failed.
  absl::StatusOr<ConsumerStatuses> Read() const;
  // Reads until every partition of every consumer has no lag, or `deadline` passes (then the
  // last reading, with `caught_up` false).
  absl::StatusOr<ConsumerStatuses> ReadCaughtUp(absl::Duration deadline, bool* caught_up) const;

 private:
  std::string token_;
  std::map<std::string, std::unique_ptr<bus::v1::BusAdmin::Stub>> stubs_;
};

// Rows named "<source> -> <consumer>" (those with events in the window), in that order: count = events applied in the
// window, per_second = count / `seconds`, p50 .. p999 and max in ms.
std::vector<Figures> PropagationFigures(const ConsumerStatuses& before, const ConsumerStatuses& after, double seconds);

}  // namespace yilian::loadgen
