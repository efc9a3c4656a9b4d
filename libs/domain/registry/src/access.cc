#include "yilian/domain/registry/access.h"

#include "absl/strings/str_cat.h"

namespace yilian::domain::registry {

namespace rv1 = ::yilian::registry::v1;

using common::Role;

absl::Status MayChangeRegistry(const common::Principal& who) {
  if (who.role == Role::ROLE_CONSORTIUM_ADMIN) return absl::OkStatus();
  return absl::PermissionDeniedError("registry changes need the CONSORTIUM_ADMIN role");
}

absl::Status MayReadRegistry(const common::Principal& who, const Directory& directory) {
  switch (who.role) {
    case Role::ROLE_CONSORTIUM_ADMIN:
    case Role::ROLE_SERVICE:
    case Role::ROLE_AUDITOR:
      return absl::OkStatus();
    default:
      break;
  }
  if (who.institution_id.empty() || directory.ConsortiaOf(who.institution_id).empty())
    return absl::PermissionDeniedError(
        absl::StrCat("\"", who.subject, "\" does not act for a member institution of any consortium"));
  return absl::OkStatus();
}

bool MaySeeResidentIdentity(const common::Principal& who, const rv1::Resident& resident) {
  return who.role == Role::ROLE_CONSORTIUM_ADMIN ||
         ((who.role == Role::ROLE_CLINICIAN || who.role == Role::ROLE_REFERRAL_OFFICE) &&
          who.institution_id == resident.family_doctor_institution_id());
}

}  // namespace yilian::domain::registry
