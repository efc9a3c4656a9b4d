// Submissions as the caller sends them, completion with a downward hand-over, redirects, and
// scheduling by time or by expert session.
#include "yilian/domain/referral/follow_ups.h"

#include "internal.h"
#include "yilian/common/problem.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/limits/limits.h"

namespace yilian::domain::referral {

namespace rv1 = ::yilian::registry::v1;
namespace fv1 = ::yilian::referral::v1;

using internal::Ms;

namespace {

// A follow-up referral's refusal, said as such.
absl::Status Prefixed(const absl::Status& s, const char* what) {
  return absl::Status(s.code(), absl::StrCat(what, ": ", s.message()));
}

}  // namespace

absl::StatusOr<fv1::Referral> SubmissionDraft(fv1::Referral draft, const common::Principal& caller,
                                              const std::string& default_id) {
  if (draft.sender_institution_id().empty()) draft.set_sender_institution_id(caller.institution_id);
  if (draft.sender_institution_id() != caller.institution_id)
    return absl::PermissionDeniedError(
        absl::StrCat(caller.subject, " acts for ", caller.institution_id, ", not for ", draft.sender_institution_id()));
  if (draft.sender_clinician().empty()) draft.set_sender_clinician(caller.subject);
  if (!draft.referral_id().empty())
    return common::InvalidField("referral.referral_id",
                                "referral_id is assigned by the service; give your own reference as "
                                "referral.client_reference");
  draft.set_referral_id(default_id);
  draft.clear_sealed_identity();
  return draft;
}

absl::StatusOr<FollowUp> CompleteAndHandOver(const std::optional<fv1::Referral>& s, Side side,
                                             const std::string& outcome_summary,
                                             const std::optional<fv1::Referral>& downward, const std::string& clinician,
                                             const Directory& directory, absl::Time now, const Deadlines& deadlines) {
  if (auto st = internal::Exists(s); !st.ok()) return st;
  const fv1::Referral& r = *s;
  FollowUp out;
  std::string down_id;
  if (downward) {
    // The completion's own checks first: a refused completion opens nothing.
    if (auto st = Complete(s, side, outcome_summary, "", now); !st.ok()) return st.status();
    fv1::Referral d = *downward;
    down_id = r.referral_id() + ".down";
    d.set_referral_id(down_id);  // whatever the caller put there: ids are the service's
    d.set_direction(fv1::DOWNWARD);
    d.set_sender_institution_id(r.receiver_institution_id());
    d.set_sender_clinician(clinician);
    *d.mutable_patient() = r.patient();
    *d.mutable_sealed_identity() = r.sealed_identity();  // the same person, cared for onwards
    d.set_linked_from(r.referral_id());
    if (d.priority() == fv1::PRIORITY_UNSPECIFIED) d.set_priority(fv1::ROUTINE);
    if (d.reason().empty()) d.set_reason(absl::StrCat("continuing care after referral ", r.referral_id()));
    if (d.diagnoses().empty()) *d.mutable_diagnoses() = r.diagnoses();
    auto next = Submit(std::nullopt, d, directory, now, deadlines);
    if (!next.ok()) return Prefixed(next.status(), "downward referral");
    out.next = *std::move(next);
  }
  auto events = Complete(s, side, outcome_summary, down_id, now);
  if (!events.ok()) return events.status();
  out.events = *std::move(events);
  return out;
}

absl::StatusOr<FollowUp> RedirectAndResubmit(const std::optional<fv1::Referral>& s, Side side,
                                             const std::string& to_institution_id, rv1::Capability to_capability,
                                             const std::string& reason, const Directory& directory, absl::Time now,
                                             const Deadlines& deadlines) {
  if (auto st = internal::Exists(s); !st.ok()) return st;
  const fv1::Referral& r = *s;
  if (to_institution_id.empty() == (to_capability == rv1::CAPABILITY_UNSPECIFIED))
    return common::InvalidField("to_institution_id", "redirect to one of to_institution_id or to_capability");
  fv1::Referral d;  // the same request: who, for whom, why and what; nothing of its course
  d.set_referral_id(r.referral_id() + ".redir");
  d.set_direction(r.direction());
  d.set_sender_institution_id(r.sender_institution_id());
  d.set_sender_clinician(r.sender_clinician());
  *d.mutable_patient() = r.patient();
  *d.mutable_sealed_identity() = r.sealed_identity();
  d.set_reason(r.reason());
  *d.mutable_diagnoses() = r.diagnoses();
  d.set_priority(r.priority());
  d.set_requested_service(r.requested_service());
  *d.mutable_exam_results() = r.exam_results();
  d.set_notes(r.notes());
  d.set_cross_consortium(r.cross_consortium());
  d.set_linked_from(r.referral_id());
  d.set_receiver_institution_id(to_institution_id);
  if (to_capability != rv1::CAPABILITY_UNSPECIFIED) d.mutable_routing()->set_capability(to_capability);
  auto next = Submit(std::nullopt, d, directory, now, deadlines);
  if (!next.ok()) return Prefixed(next.status(), "redirected referral");
  const std::string to = (*next)[0].submitted().referral().receiver_institution_id();
  auto events = Redirect(s, side, d.referral_id(), to, reason, now);
  if (!events.ok()) return events.status();
  return FollowUp{*std::move(events), *std::move(next)};
}

absl::StatusOr<Events> ScheduleAt(const std::optional<fv1::Referral>& s, Side side, int64_t at_ms, absl::Time now) {
  if (auto st = internal::Exists(s); !st.ok()) return st;
  const auto kind = s->requested_service();
  if (kind != fv1::EXAMINATION && kind != fv1::TELE_CONSULTATION)
    return absl::InvalidArgumentError(
        "an appointment time schedules an examination or tele-consultation; expert outpatient referrals book a "
        "session_id, inpatient ones ask a bed");
  if (auto st = limits::Instant("appointment_at", at_ms, now, absl::ZeroDuration(), kScheduleAhead); !st.ok())
    return st;
  if (at_ms <= Ms(now)) return common::InvalidField("appointment_at", "the appointment must be in the future");
  fv1::Schedule schedule;
  schedule.set_kind(kind);
  YILIAN_SET_MS(schedule, at, at_ms);
  return ScheduleAppointment(s, side, schedule, now);
}

absl::StatusOr<SessionBooking> BookExpertSession(const std::optional<fv1::Referral>& s, Side side,
                                                 const rv1::ExpertSession& session,
                                                 const fv1::SessionBookings& bookings, bool signed_resident,
                                                 absl::Time now, const SlotPolicy& policy,
                                                 const std::optional<std::string>& rescheduling) {
  if (auto st = internal::Exists(s); !st.ok()) return st;
  fv1::Schedule schedule;
  schedule.set_kind(fv1::EXPERT_OUTPATIENT);
  schedule.set_session_id(session.session_id());
  YILIAN_SET_MS(schedule, at, Ms(SessionStart(session)));
  auto events = rescheduling ? Reschedule(s, side, schedule, *rescheduling, now)
                             : ScheduleAppointment(s, side, schedule, now);  // side and state first
  if (!events.ok()) return events.status();
  auto booked = BookSlot(session, bookings, *s, signed_resident, now, policy);
  if (!booked.ok()) return booked.status();
  auto& e = (*events)[0];
  (e.has_scheduled() ? e.mutable_scheduled()->mutable_schedule() : e.mutable_rescheduled()->mutable_schedule())
      ->set_reserved_slot(booked->booked().booking().reserved());
  return SessionBooking{*std::move(events), *std::move(booked)};
}

}  // namespace yilian::domain::referral
