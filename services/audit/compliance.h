#pragma once
// Compliance reports from the archive, folded with the owning services' domain cores:
// referral response times by priority against their answer deadlines (a response is the
// receiver's first acknowledgement, acceptance, rejection or question), and emergency
// door-to-needle (stroke) / door-to-balloon (STEMI) per institution against their targets.
// Referrals and cases count when submitted / first contacted within the range.

#include "archive_model.h"

namespace yilian::audit {

absl::StatusOr<v1::ComplianceReport> Compliance(const ArchiveView& view, const v1::TimeRange& range);

}  // namespace yilian::audit
