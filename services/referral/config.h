#pragma once
// The referral service's configuration keys (flags --key=value, env YILIAN_KEY, --config=file.json).

#include <vector>

#include "yilian/common/config.h"
#include "yilian/domain/referral/referral.h"
#include "yilian/domain/referral/slots.h"

namespace yilian::referral {

std::vector<common::ConfigKey> ConfigSchema();
// Deadlines per priority from deadline.respond.* / deadline.schedule.*. INVALID_ARGUMENT when
// a deadline is not positive or a scheduling deadline comes before its answer deadline.
absl::StatusOr<domain::referral::Deadlines> DeadlinesFrom(const common::Config& config);
absl::StatusOr<domain::referral::SlotPolicy> SlotPolicyFrom(const common::Config& config);

}  // namespace yilian::referral
