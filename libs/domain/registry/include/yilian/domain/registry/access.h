#pragma once
// Who may do what in the registry (docs/ROLES.md), decided here so every edge asks the same
// rules. Refusals are PERMISSION_DENIED naming the caller.

#include "absl/status/status.h"
#include "yilian/common/principal.h"
#include "yilian/domain/registry/registry.h"

namespace yilian::domain::registry {

// Every change, ErasePatient included: CONSORTIUM_ADMIN.
absl::Status MayChangeRegistry(const common::Principal& who);
// Reads: CONSORTIUM_ADMIN, SERVICE, AUDITOR, and anyone acting for a member institution of
// some consortium.
absl::Status MayReadRegistry(const common::Principal& who, const Directory& directory);
// A resident's identity: CONSORTIUM_ADMIN, and the clinicians and referral office of the
// family doctor's institution.
bool MaySeeResidentIdentity(const common::Principal& who, const ::yilian::registry::v1::Resident& resident);

}  // namespace yilian::domain::registry
