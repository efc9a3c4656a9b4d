#pragma once
// State as of an instant: an aggregate's archived events recorded at or before the instant,
// folded with the owning service's own domain core (no second copy of the rules): referrals
// with libs/domain/referral, emergency cases and wards with libs/domain/greenchannel.

#include "archive_model.h"

namespace yilian::audit {

absl::StatusOr<v1::StateAsOfResponse> StateAsOf(const ArchiveView& view, const v1::StateAsOfRequest& req);

}  // namespace yilian::audit
