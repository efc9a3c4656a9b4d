#include "yilian/host/call_deadline.h"

#include <atomic>

namespace yilian::host {
namespace {
std::atomic<int64_t> max_call_ms{5 * 60 * 1000};
}

void SetMaxCallDuration(absl::Duration d) { max_call_ms = absl::ToInt64Milliseconds(d); }
absl::Duration MaxCallDuration() { return absl::Milliseconds(max_call_ms.load()); }

absl::Time CallDeadline(const grpc::ServerContextBase& ctx) {
  const absl::Time capped = absl::Now() + MaxCallDuration();
  const absl::Time caller = absl::FromChrono(ctx.deadline());
  return std::min(caller, capped);
}

namespace {
constexpr char kReached[] = "the stream reached its deadline (the caller's, or limits.max_call_seconds); open it again";
}

grpc::Status DeadlineReached() { return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, kReached); }

absl::Status StreamDeadline(absl::Time deadline) {
  return absl::Now() >= deadline ? absl::DeadlineExceededError(kReached) : absl::OkStatus();
}

}  // namespace yilian::host
