#include "referral_queries.h"

#include "absl/strings/str_cat.h"
#include "timeline.h"
#include "yilian/common/status_macros.h"
#include "yilian/domain/limits/limits.h"
#include "yilian/domain/referral/access.h"
#include "yilian/domain/referral/worklist.h"

namespace yilian::referral {

namespace fv1 = ::yilian::referral::v1;

namespace dref = ::yilian::domain::referral;
absl::StatusOr<fv1::GetReferralResponse> ReferralQueries::Get(const common::Principal& who,
                                                              const std::string& referral_id,
                                                              bool with_versions) const {
  RETURN_IF_ERROR(domain::limits::Reference("referral_id", referral_id));
  ASSIGN_OR_RETURN(auto row, view_->Referral(referral_id));
  if (!row) return absl::NotFoundError(absl::StrCat("no referral ", referral_id));
  RETURN_IF_ERROR(dref::SideOf(who, row->referral(), *directory_).status());
  fv1::GetReferralResponse out;
  *out.mutable_referral() = *std::move(row);
  (*shape_)(*out.mutable_referral());
  std::vector<fv1::ReferralReply> versions;
  ASSIGN_OR_RETURN(auto timeline, Timeline(*journal_, referral_id, with_versions ? &versions : nullptr));
  for (auto& e : timeline) *out.add_timeline() = std::move(e);
  for (auto& v : versions) *out.add_versions() = std::move(v);
  return out;
}

absl::StatusOr<fv1::ListWorklistResponse> ReferralQueries::Worklist(const common::Principal& who,
                                                                    const fv1::ListWorklistRequest& req,
                                                                    const char* list) const {
  RETURN_IF_ERROR(domain::limits::Reference("institution_id", req.institution_id(), /*required=*/false));
  const std::string inst = req.institution_id().empty() ? who.institution_id : req.institution_id();
  if (inst != who.institution_id)
    return absl::PermissionDeniedError(absl::StrCat(who.subject, " may list only ", who.institution_id));
  RETURN_IF_ERROR(dref::NotSuspended(who, *directory_));
  if (!fv1::Status_IsValid(req.status())) return absl::InvalidArgumentError("unknown status");
  RETURN_IF_ERROR(dref::CheckFilter(req.filter()));
  const auto& filter = req.filter();
  ASSIGN_OR_RETURN(auto page, view_->Worklist(list, inst, req.status(), req.page(),
                                              [&](const fv1::Referral& r) { return dref::Matches(r, filter); }));
  for (auto& r : *page.mutable_referrals()) (*shape_)(r);
  return page;
}

absl::StatusOr<fv1::ListWorklistResponse> ReferralQueries::Escalated(const common::Principal& who,
                                                                     const fv1::ListEscalatedRequest& req) const {
  RETURN_IF_ERROR(dref::NotSuspended(who, *directory_));
  RETURN_IF_ERROR(dref::CheckFilter(req.filter()));
  const auto& filter = req.filter();
  ASSIGN_OR_RETURN(auto page, view_->Worklist("e", who.institution_id, fv1::STATUS_UNSPECIFIED, req.page(),
                                              [&](const fv1::Referral& r) { return dref::Matches(r, filter); }));
  for (auto& r : *page.mutable_referrals()) (*shape_)(r);
  return page;
}

absl::StatusOr<fv1::ListWorklistResponse> ReferralQueries::Patient(const common::Principal& who,
                                                                   const fv1::ListPatientReferralsRequest& req) const {
  RETURN_IF_ERROR(dref::NotSuspended(who, *directory_));
  RETURN_IF_ERROR(domain::registry::CheckPatientRef(req.patient()));
  ASSIGN_OR_RETURN(auto page, view_->Worklist("p", req.patient().value(), fv1::STATUS_UNSPECIFIED, req.page(),
                                              [&](const fv1::Referral& r) {  // only what the caller has a side of
                                                return dref::SideOf(who, r, *directory_).ok();
                                              }));
  for (auto& r : *page.mutable_referrals()) (*shape_)(r);
  return page;
}

absl::StatusOr<fv1::ListAvailableSlotsResponse> ReferralQueries::Slots(
    const common::Principal& who, const fv1::ListAvailableSlotsRequest& req) const {
  RETURN_IF_ERROR(dref::NotSuspended(who, *directory_));
  RETURN_IF_ERROR(domain::limits::Reference("host_institution_id", req.host_institution_id()));
  if (!req.patient().value().empty()) RETURN_IF_ERROR(domain::registry::CheckPatientRef(req.patient()));
  registry::v1::ListExpertSessionsRequest q;
  q.set_institution_id(req.host_institution_id());
  if (req.has_from()) *q.mutable_from() = req.from();
  if (req.has_to()) *q.mutable_to() = req.to();
  *q.mutable_page() = req.page();
  ASSIGN_OR_RETURN(auto sessions, directory_->view().ListSessions(q));
  const bool resident = directory_->SignedResident(req.patient().value(), who.institution_id);
  const absl::Time now = clock_->Now();
  fv1::ListAvailableSlotsResponse out;
  for (const auto& s : sessions.sessions()) {
    ASSIGN_OR_RETURN(auto bookings, view_->Bookings(s.session().session_id()));
    auto* a = out.add_sessions();
    *a->mutable_session() = s.session();
    *a->mutable_availability() = dref::Availability(s.session(), bookings, who.institution_id, resident, now, slots_);
  }
  *out.mutable_page() = sessions.page();
  return out;
}

}  // namespace yilian::referral
