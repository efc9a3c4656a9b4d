#pragma once
// Every call ends. A unary call is bounded by its own waits (a group commit, a stripe lock, a
// retry awaiting its first answer); a server stream also ends at its deadline: the caller's,
// or, when the caller set none or a later one, `MaxCallDuration()` after the stream began
// (config `limits.max_call_seconds`, default 300). The stream then ends DEADLINE_EXCEEDED and
// the caller opens it again. Streams check CallDeadline once per batch.

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"

namespace yilian::host {

// Process-wide: ServiceHost::Start sets it from HostOptions::max_call.
void SetMaxCallDuration(absl::Duration d);
absl::Duration MaxCallDuration();
// For a call that began now: the caller's deadline or now + MaxCallDuration(), the earlier.
absl::Time CallDeadline(const grpc::ServerContextBase& ctx);
grpc::Status DeadlineReached();
// For a stream's loop: DEADLINE_EXCEEDED (the same words) once `deadline` has passed, else OK.
absl::Status StreamDeadline(absl::Time deadline);

}  // namespace yilian::host
