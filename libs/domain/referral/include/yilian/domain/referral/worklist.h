#pragma once
// Which referrals a worklist filter keeps (ListIncoming / ListOutgoing / WatchWorklist), and the
// filter's bounds. Thread-safe.

#include "absl/status/status.h"
#include "yilian/referral/v1/referral_service.pb.h"

namespace yilian::domain::referral {

// INVALID_ARGUMENT naming the field: unknown enum values, more than 12 values in a repeated
// field, an escalation level outside 0..2, a malformed patient reference or timestamp, an
// empty window.
absl::Status CheckFilter(const ::yilian::referral::v1::WorklistFilter& filter);
// Whether `referral` is in the filtered list (a checked filter).
bool Matches(const ::yilian::referral::v1::Referral& referral, const ::yilian::referral::v1::WorklistFilter& filter);

}  // namespace yilian::domain::referral
