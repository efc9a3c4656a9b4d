#pragma once
// A referral's timeline for GetReferral: one entry per event of its aggregate, read from the
// journal (so a restart or a rebuild shows exactly the same), with who did it and a line
// saying what happened.

#include <vector>

#include "absl/status/statusor.h"
#include "yilian/eventstore/journal.h"
#include "yilian/referral/v1/referral_service.pb.h"

namespace yilian::referral {

absl::StatusOr<std::vector<::yilian::referral::v1::TimelineEntry>> Timeline(const eventstore::Journal& journal,
                                                                            const std::string& referral_id);

}  // namespace yilian::referral
