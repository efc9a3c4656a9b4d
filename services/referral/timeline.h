#pragma once
// A referral's timeline for GetReferral: one entry per event of its aggregate, read from the
// journal (so a restart or a rebuild shows exactly the same), with who did it and a line
// saying what happened; and, asked for, the referral as each of its versions left it.

#include <vector>

#include "absl/status/statusor.h"
#include "yilian/eventstore/journal.h"
#include "yilian/referral/v1/referral_service.pb.h"

namespace yilian::referral {

// With `versions`, also the referral as each event left it (its version set; the sealed
// identity cleared: a past version never shows it).
absl::StatusOr<std::vector<::yilian::referral::v1::TimelineEntry>> Timeline(
    const eventstore::Journal& journal, const std::string& referral_id,
    std::vector<::yilian::referral::v1::ReferralReply>* versions = nullptr);

}  // namespace yilian::referral
