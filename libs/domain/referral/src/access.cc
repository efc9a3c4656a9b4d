#include "yilian/domain/referral/access.h"

#include "absl/strings/str_cat.h"

namespace yilian::domain::referral {

namespace fv1 = ::yilian::referral::v1;

using common::Role;

absl::Status MayWorkReferrals(const common::Principal& who) {
  if (who.role != Role::ROLE_CLINICIAN && who.role != Role::ROLE_REFERRAL_OFFICE)
    return absl::PermissionDeniedError(
        absl::StrCat("referrals are worked by CLINICIAN or REFERRAL_OFFICE principals; \"", who.subject, "\" is ",
                     common::RoleName(who.role)));
  if (who.institution_id.empty())
    return absl::PermissionDeniedError(absl::StrCat("\"", who.subject, "\" acts for no institution"));
  return absl::OkStatus();
}

absl::Status NotSuspended(const common::Principal& who, const Directory& directory) {
  auto mine = directory.FindInstitution(who.institution_id);
  if (mine && mine->suspended())
    return absl::PermissionDeniedError(absl::StrCat("institution ", who.institution_id,
                                                    " is suspended: its staff reach no referral or patient identity "
                                                    "until it is reactivated"));
  return absl::OkStatus();
}

absl::StatusOr<Side> SideOf(const common::Principal& who, const fv1::Referral& r, const Directory& directory) {
  if (auto s = MayWorkReferrals(who); !s.ok()) return s;
  if (auto s = NotSuspended(who, directory); !s.ok()) return s;
  if (who.institution_id == r.sender_institution_id()) return Side::kSender;
  if (r.status() == fv1::DRAFT)  // unsent: nobody else's yet
    return absl::PermissionDeniedError(
        absl::StrCat("referral ", r.referral_id(), " is a draft of ", r.sender_institution_id()));
  if (who.institution_id == r.receiver_institution_id()) return Side::kReceiver;
  for (const auto& member : {r.sender_institution_id(), r.receiver_institution_id()})
    for (const auto& cid : directory.ConsortiaOf(member)) {
      auto c = directory.FindConsortium(cid);
      if (c && c->lead_institution_id() == who.institution_id) return Side::kLead;
    }
  return absl::PermissionDeniedError(
      absl::StrCat(who.institution_id, " is neither sender, receiver nor lead of referral ", r.referral_id()));
}

}  // namespace yilian::domain::referral
