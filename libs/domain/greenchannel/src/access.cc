#include "yilian/domain/greenchannel/access.h"

#include "absl/strings/str_cat.h"

namespace yilian::domain::greenchannel {

namespace gv1 = ::yilian::greenchannel::v1;

using common::Role;

absl::Status Denied(const common::Principal& who, const std::string& what) {
  return absl::PermissionDeniedError(
      absl::StrCat("\"", who.subject, "\" (", common::RoleName(who.role), ") may not ", what));
}

bool ActsForHospital(const common::Principal& who, const std::string& institution_id) {
  return (who.role == Role::ROLE_CLINICIAN || who.role == Role::ROLE_REFERRAL_OFFICE) && !who.institution_id.empty() &&
         who.institution_id == institution_id;
}

bool ActsForInstitution(const common::Principal& who, const std::string& institution_id) {
  return ActsForHospital(who, institution_id) || (who.role == Role::ROLE_HOSPITAL_SYSTEM &&
                                                  !who.institution_id.empty() && who.institution_id == institution_id);
}

absl::Status MayOpenCase(const common::Principal& who) {
  if (who.role == Role::ROLE_DISPATCH || ActsForHospital(who, who.institution_id)) return absl::OkStatus();
  return Denied(who, "open emergency cases (DISPATCH, or a hospital's clinicians for a transfer)");
}

std::string TransferOrigin(const common::Principal& who) {
  return who.role == Role::ROLE_DISPATCH ? "" : who.institution_id;
}

namespace {
bool AnyCase(const common::Principal& who, bool read) {
  return who.role == Role::ROLE_DISPATCH || (read && who.role == Role::ROLE_AUDITOR);
}
}  // namespace

absl::Status MayReachCases(const common::Principal& who, bool read) {
  if (AnyCase(who, read) || who.role == Role::ROLE_CLINICIAN || who.role == Role::ROLE_REFERRAL_OFFICE)
    return absl::OkStatus();
  return Denied(who, read ? "read emergency cases" : "act on emergency cases");
}

absl::Status MayReachCase(const common::Principal& who, const gv1::EmergencyCase& c, bool read) {
  if (auto s = MayReachCases(who, read); !s.ok()) return s;
  if (AnyCase(who, read) || ActsForHospital(who, c.placement().institution_id()) ||
      ActsForHospital(who, c.origin_institution_id()))
    return absl::OkStatus();
  return Denied(who, "see a case bound for another hospital");
}

absl::Status MayListOpenCases(const common::Principal& who, const std::string& dispatch_centre) {
  if (who.role == Role::ROLE_DISPATCH || who.role == Role::ROLE_AUDITOR || ActsForHospital(who, dispatch_centre))
    return absl::OkStatus();
  return Denied(who, "list open cases (DISPATCH or AUDITOR)");
}

absl::Status MayListInbound(const common::Principal& who, const std::string& institution_id) {
  if (who.role == Role::ROLE_DISPATCH || who.role == Role::ROLE_AUDITOR || ActsForInstitution(who, institution_id))
    return absl::OkStatus();
  return Denied(who, absl::StrCat("see the emergencies inbound to ", institution_id));
}

absl::Status MayAcknowledgeCases(const common::Principal& who) {
  if (who.role == Role::ROLE_CLINICIAN || who.role == Role::ROLE_REFERRAL_OFFICE) return absl::OkStatus();
  return Denied(who, "acknowledge emergency cases (the destination's clinicians or referral office)");
}

absl::Status MayAcknowledge(const common::Principal& who, const gv1::EmergencyCase& c) {
  if (ActsForHospital(who, c.placement().institution_id())) return absl::OkStatus();
  return Denied(who, absl::StrCat("acknowledge case ", c.case_id(), " for ", c.placement().institution_id()));
}

absl::Status MayDischarge(const common::Principal& who, const std::string& institution_id) {
  if (ActsForInstitution(who, institution_id)) return absl::OkStatus();
  return Denied(who, absl::StrCat("discharge patients of ", institution_id));
}

namespace {
bool AnyBedRequest(const common::Principal& who) {
  return who.role == Role::ROLE_SERVICE || who.role == Role::ROLE_AUDITOR;
}
}  // namespace

absl::Status MayReadBedRequests(const common::Principal& who) {
  if (AnyBedRequest(who) || who.role == Role::ROLE_CLINICIAN || who.role == Role::ROLE_REFERRAL_OFFICE ||
      who.role == Role::ROLE_HOSPITAL_SYSTEM)
    return absl::OkStatus();
  return Denied(who, "read bed requests");
}

absl::Status MayReadBedRequest(const common::Principal& who, const std::string& institution_id) {
  if (auto s = MayReadBedRequests(who); !s.ok()) return s;
  if (AnyBedRequest(who) || ActsForInstitution(who, institution_id)) return absl::OkStatus();
  return Denied(who, "read another hospital's bed requests");
}

absl::StatusOr<std::string> ClocksScope(const common::Principal& who, const std::string& asked) {
  switch (who.role) {
    case Role::ROLE_CONSORTIUM_ADMIN:
    case Role::ROLE_AUDITOR:
    case Role::ROLE_DISPATCH:
      return asked;
    case Role::ROLE_CLINICIAN:
    case Role::ROLE_REFERRAL_OFFICE:
    case Role::ROLE_HOSPITAL_SYSTEM:
      if (!asked.empty() && asked != who.institution_id) return Denied(who, "read another hospital's treatment clocks");
      return who.institution_id;
    default:
      return Denied(who, "read treatment clocks");
  }
}

absl::Status NotSuspended(const common::Principal& who, const ::yilian::registry::v1::Institution* institution) {
  if (institution == nullptr || !institution->suspended()) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("institution ", who.institution_id,
                                                  " is suspended: its staff reach no emergency case, bed board or "
                                                  "patient identity until it is reactivated"));
}

void HideOthersHolds(const common::Principal& who, gv1::WardStatus& ward) {
  if (who.role == Role::ROLE_SERVICE || ActsForInstitution(who, ward.board().institution_id())) return;
  auto* board = ward.mutable_board();
  // Hold and admission ids embed the case or referral id ("<case>#n", "bed:<referral>/..."):
  // they go with the subject.
  for (auto& h : *board->mutable_holds()) {
    if (who.role == Role::ROLE_DISPATCH && h.purpose() == gv1::EMERGENCY) continue;
    h.clear_subject_id();
    h.clear_hold_id();
  }
  for (auto& a : *board->mutable_admissions()) a.clear();
}

bool MaySeeIdentity(const common::Principal& who, const gv1::EmergencyCase& c) {
  return who.role == Role::ROLE_DISPATCH || ActsForHospital(who, c.placement().institution_id()) ||
         ActsForHospital(who, c.origin_institution_id());
}

}  // namespace yilian::domain::greenchannel
