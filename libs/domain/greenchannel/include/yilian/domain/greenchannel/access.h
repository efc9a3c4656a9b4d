#pragma once
// Who may do what on the green channel (docs/ROLES.md), decided here so that every edge asks
// the same rules: the role part first (before the request is looked at), then the part that
// needs the case, bed request or hospital. A refusal is PERMISSION_DENIED naming the caller,
// its role and what it may not do.

#include <string>

#include "absl/status/statusor.h"
#include "yilian/common/principal.h"
#include "yilian/greenchannel/v1/greenchannel.pb.h"
#include "yilian/registry/v1/registry.pb.h"

namespace yilian::domain::greenchannel {
absl::Status Denied(const common::Principal& who, const std::string& what);
// A clinician or the referral office acting for `institution_id`.
bool ActsForHospital(const common::Principal& who, const std::string& institution_id);
// ActsForHospital, or the hospital's own information system (HOSPITAL_SYSTEM of that
// institution): what may discharge from its wards and read its beds and clocks.
bool ActsForInstitution(const common::Principal& who, const std::string& institution_id);

// DISPATCH, or a hospital's clinicians and referral office (an inter-hospital transfer).
absl::Status MayOpenCase(const common::Principal& who);
// The hospital a case opened by `who` is a transfer from ("" for dispatch).
std::string TransferOrigin(const common::Principal& who);
// Cases: DISPATCH any, AUDITOR any to read, clinicians and referral offices those bound for
// their hospital or transferred from it. `MayReachCases` is the role part, `MayReachCase` the whole rule.
absl::Status MayReachCases(const common::Principal& who, bool read);
absl::Status MayReachCase(const common::Principal& who, const ::yilian::greenchannel::v1::EmergencyCase& c, bool read);
// A dispatch centre's open cases: DISPATCH and AUDITOR any; a hospital's clinicians and
// referral office the transfers it opened (its id is their dispatch centre).
absl::Status MayListOpenCases(const common::Principal& who, const std::string& dispatch_centre);
// The cases inbound to a hospital: the hospital's own (clinicians, referral office, its
// system), DISPATCH and AUDITOR.
absl::Status MayListInbound(const common::Principal& who, const std::string& institution_id);
// Acknowledging a pre-notification: the destination's clinicians and referral office
// (`MayAcknowledgeCases` is the role part).
absl::Status MayAcknowledgeCases(const common::Principal& who);
absl::Status MayAcknowledge(const common::Principal& who, const ::yilian::greenchannel::v1::EmergencyCase& c);
// Discharges free a hospital's beds: the hospital's own (clinicians, referral office, its
// HOSPITAL_SYSTEM) only; no platform service.
absl::Status MayDischarge(const common::Principal& who, const std::string& institution_id);
// Bed requests: SERVICE and AUDITOR any, a hospital's clinicians, office and system their own.
absl::Status MayReadBedRequests(const common::Principal& who);
absl::Status MayReadBedRequest(const common::Principal& who, const std::string& institution_id);
// Treatment clocks: admins, auditors and dispatch all; a hospital its own. Answers the
// institution the caller is limited to ("" = all).
absl::StatusOr<std::string> ClocksScope(const common::Principal& who, const std::string& asked);
// PERMISSION_DENIED when `institution` (the caller's, as the registry has it; null: unknown)
// is suspended: its staff reach nothing of the green channel until it is reactivated.
absl::Status NotSuspended(const common::Principal& who, const ::yilian::registry::v1::Institution* institution);
// A ward as `who` may see it: every hold and admission counts, but what it is for (a hold's
// subject_id and hold_id, an admission's id: each names a case or referral) is shown only to
// those involved: the ward's own hospital (clinicians, referral office, its system), dispatch for
// emergency holds, and the platform's services. Others get the ids empty.
void HideOthersHolds(const common::Principal& who, ::yilian::greenchannel::v1::WardStatus& ward);
// A patient's identity on a case: dispatch, and the destination's and the origin's clinicians.
bool MaySeeIdentity(const common::Principal& who, const ::yilian::greenchannel::v1::EmergencyCase& c);

}  // namespace yilian::domain::greenchannel
