#include "yilian/common/principal.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"

namespace yilian::common {
namespace {
constexpr std::array<std::pair<Role, std::string_view>, 7> kRoles = {{
    {Role::ROLE_CONSORTIUM_ADMIN, "consortium-admin"},
    {Role::ROLE_CLINICIAN, "clinician"},
    {Role::ROLE_REFERRAL_OFFICE, "referral-office"},
    {Role::ROLE_DISPATCH, "dispatch"},
    {Role::ROLE_AUDITOR, "auditor"},
    {Role::ROLE_SERVICE, "service"},
    {Role::ROLE_HOSPITAL_SYSTEM, "hospital-system"},
}};
}  // namespace

v1::Principal Principal::ToProto() const {
  v1::Principal p;
  p.set_subject(subject);
  p.set_institution_id(institution_id);
  p.set_role(role);
  return p;
}

Principal Principal::FromProto(const v1::Principal& p) { return Principal{p.subject(), p.institution_id(), p.role()}; }

std::string RoleName(Role role) {
  for (const auto& [r, name] : kRoles)
    if (r == role) return std::string(name);
  return "unspecified";
}

absl::StatusOr<Role> ParseRole(std::string_view name) {
  for (const auto& [r, n] : kRoles)
    if (n == name) return r;
  return absl::InvalidArgumentError(
      absl::StrCat("role \"", std::string(name),
                   "\" is not one of consortium-admin, clinician, referral-office, dispatch, auditor, service"));
}

}  // namespace yilian::common
