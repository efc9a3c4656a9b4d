#include "yilian/common/clock.h"

#include "absl/time/clock.h"

namespace yilian::common {
namespace {
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};
}  // namespace

Clock& Clock::Real() {
  static RealClock* clock = new RealClock();
  return *clock;
}
}  // namespace yilian::common
