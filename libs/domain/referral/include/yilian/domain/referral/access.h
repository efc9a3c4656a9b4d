#pragma once
// Who may work referrals (docs/ROLES.md), decided here so every edge asks the same rules:
// the role first (before the request is looked at), then the caller's side of the referral.

#include "absl/status/statusor.h"
#include "yilian/common/principal.h"
#include "yilian/domain/referral/referral.h"

namespace yilian::domain::referral {

// CLINICIAN or REFERRAL_OFFICE principals acting for an institution; PERMISSION_DENIED otherwise.
absl::Status MayWorkReferrals(const common::Principal& who);
// PERMISSION_DENIED when the caller's institution is suspended: its staff reach no referral,
// worklist or identity until it is reactivated.
absl::Status NotSuspended(const common::Principal& who, const Directory& directory);
// The caller's side: the referral's sender, its receiver, or the lead hospital of a consortium
// either belongs to; PERMISSION_DENIED for anyone else, for a suspended institution's staff,
// and for all but the sender while it is a DRAFT. Everyone with a side is in the patient's care
// and sees the patient's identity.
absl::StatusOr<Side> SideOf(const common::Principal& who, const ::yilian::referral::v1::Referral& r,
                            const Directory& directory);

}  // namespace yilian::domain::referral
