// The lifecycle beyond the answer: drafts and sending, amendments before acceptance, owners and
// hand-overs, rescheduling, holding and resuming, a cancelled expert session, and marking a
// referral entered-in-error.
#include <algorithm>
#include <set>

#include "internal.h"
#include "yilian/common/problem.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/limits/limits.h"

namespace yilian::domain::referral {

namespace fv1 = ::yilian::referral::v1;
namespace rv1 = ::yilian::registry::v1;

using internal::Exists;
using internal::Make;
using internal::Ms;
using internal::OnlySide;
using internal::WrongState;
using F = fv1::ReferralEvent;

namespace {

// What the sender may change before acceptance, by FieldMask path.
const std::set<std::string, std::less<>>& AmendablePaths() {
  static const auto* paths = new std::set<std::string, std::less<>>{
      "reason", "diagnoses", "priority", "requested_service", "notes", "exam_results", "client_reference"};
  return *paths;
}

// A referral as a submission would carry it, for checking it again with Submit.
fv1::Referral AsSubmission(const fv1::Referral& r) {
  fv1::Referral d = r;
  d.clear_status();
  d.clear_submitted_at();
  d.clear_respond_by();
  d.clear_schedule_by();
  d.clear_business_status();
  d.clear_escalation_level();
  d.clear_status_reason();
  d.mutable_routing()->clear_chosen_institution_id();
  d.mutable_routing()->clear_reason();
  if (d.routing().capability() == ::yilian::registry::v1::CAPABILITY_UNSPECIFIED) d.clear_routing();
  return d;
}

// Checks `r` again as a submission at `now`; its deadlines as they would be.
absl::StatusOr<fv1::Referral> Recheck(const fv1::Referral& r, const Directory& directory, absl::Time now,
                                      const Deadlines& deadlines) {
  auto events = Submit(std::nullopt, AsSubmission(r), directory, now, deadlines);
  if (!events.ok()) return events.status();
  return (*events)[0].submitted().referral();
}

void CopyPath(fv1::Referral& to, const fv1::Referral& from, std::string_view path) {
  if (path == "reason") to.set_reason(from.reason());
  if (path == "diagnoses") *to.mutable_diagnoses() = from.diagnoses();
  if (path == "priority") to.set_priority(from.priority());
  if (path == "requested_service") to.set_requested_service(from.requested_service());
  if (path == "notes") to.set_notes(from.notes());
  if (path == "exam_results") *to.mutable_exam_results() = from.exam_results();
  if (path == "client_reference") to.set_client_reference(from.client_reference());
}

}  // namespace

namespace internal {

absl::Status ApplyAmendment(fv1::Referral& r, const fv1::ReferralAmended& e) {
  for (const auto& path : e.paths()) {
    if (!AmendablePaths().count(path)) return absl::FailedPreconditionError("referral event amends " + path);
    CopyPath(r, e.amended(), path);
  }
  if (r.status() != fv1::DRAFT) {
    YILIAN_SET_MS(r, respond_by, common::UnixMs(e.respond_by()));
    YILIAN_SET_MS(r, schedule_by, common::UnixMs(e.schedule_by()));
  }
  return absl::OkStatus();
}

}  // namespace internal

absl::StatusOr<Events> SaveDraft(const std::optional<fv1::Referral>& state, const fv1::Referral& draft,
                                 const Directory& directory, absl::Time now, const Deadlines& deadlines) {
  auto events = Submit(state, draft, directory, now, deadlines);
  if (!events.ok()) return events.status();
  auto* r = (*events)[0].mutable_submitted()->mutable_referral();
  r->set_status(fv1::DRAFT);
  r->clear_respond_by();
  r->clear_schedule_by();
  return events;
}

absl::StatusOr<Events> Send(const std::optional<fv1::Referral>& s, Side side, const Directory& directory,
                            absl::Time now, const Deadlines& deadlines) {
  if (auto st = Exists(s); !st.ok()) return st;
  if (auto st = OnlySide(side, {Side::kSender}, "send"); !st.ok()) return st;
  if (s->status() != fv1::DRAFT) return WrongState(*s, "send");
  auto checked = Recheck(*s, directory, now, deadlines);
  if (!checked.ok()) return checked.status();
  fv1::ReferralSent e;
  YILIAN_SET_MS(e, submitted_at, common::UnixMs(checked->submitted_at()));
  YILIAN_SET_MS(e, respond_by, common::UnixMs(checked->respond_by()));
  YILIAN_SET_MS(e, schedule_by, common::UnixMs(checked->schedule_by()));
  return Events{Make(&F::mutable_sent, e)};
}

absl::StatusOr<Events> Amend(const std::optional<fv1::Referral>& s, Side side, const fv1::Referral& changes,
                             const std::vector<std::string>& paths, const Directory& directory, absl::Time now,
                             const Deadlines& deadlines) {
  if (paths.empty()) return common::InvalidField("update_mask", "update_mask names the fields to change");
  std::set<std::string, std::less<>> seen;
  for (const auto& p : paths) {
    if (!AmendablePaths().count(p))
      return common::InvalidField("update_mask",
                                  absl::StrCat("\"", p.substr(0, 64),
                                               "\" cannot be amended; amendable: reason, diagnoses, priority, "
                                               "requested_service, notes, exam_results, client_reference"));
    if (!seen.insert(p).second) return common::InvalidField("update_mask", absl::StrCat("\"", p, "\" named twice"));
  }
  if (auto st = Exists(s); !st.ok()) return st;
  if (auto st = OnlySide(side, {Side::kSender}, "amend"); !st.ok()) return st;
  if (s->status() != fv1::DRAFT && s->status() != fv1::REQUESTED && s->status() != fv1::RECEIVED)
    return WrongState(*s, "amend");
  fv1::Referral amended = *s;
  for (const auto& p : paths) CopyPath(amended, changes, p);
  auto checked = Recheck(amended, directory, now, deadlines);  // the amended referral must still be sendable
  if (!checked.ok()) return checked.status();
  fv1::ReferralAmended e;
  for (const auto& p : paths) {
    CopyPath(*e.mutable_amended(), changes, p);
    e.add_paths(p);
  }
  // The deadlines run from when it was sent, at the (new) priority.
  const absl::Time sent = absl::FromUnixMillis(common::UnixMs(s->submitted_at()));
  YILIAN_SET_MS(e, respond_by, Ms(sent + deadlines.respond[amended.priority()]));
  YILIAN_SET_MS(e, schedule_by, Ms(sent + deadlines.schedule[amended.priority()]));
  if (amended.priority() == s->priority()) {
    YILIAN_SET_MS(e, respond_by, common::UnixMs(s->respond_by()));
    YILIAN_SET_MS(e, schedule_by, common::UnixMs(s->schedule_by()));
  }
  YILIAN_SET_MS(e, at, Ms(now));
  return Events{Make(&F::mutable_amended, e)};
}

absl::StatusOr<Events> AssignOwner(const std::optional<fv1::Referral>& s, Side side, const fv1::Owner& owner,
                                   const std::string& note, absl::Time now) {
  if (owner.clinician().empty() == owner.department().empty())
    return common::InvalidField("owner", "owner is exactly one of a clinician or a department");
  if (auto st = limits::Text("owner.clinician", owner.clinician(), 128, false); !st.ok()) return st;
  if (auto st = limits::Text("owner.department", owner.department(), 128, false); !st.ok()) return st;
  if (auto st = limits::Text("note", note, 2000, false); !st.ok()) return st;
  if (auto st = Exists(s); !st.ok()) return st;
  if (auto st = OnlySide(side, {Side::kReceiver}, "assign an owner to"); !st.ok()) return st;
  const auto st = s->status();
  if (st != fv1::REQUESTED && st != fv1::RECEIVED && st != fv1::ACCEPTED && st != fv1::READY &&
      st != fv1::IN_PROGRESS && st != fv1::ON_HOLD)
    return WrongState(*s, "assign an owner to");
  Events out;
  if (st == fv1::REQUESTED) {  // taking it on is receiving it
    fv1::ReferralReceived r;
    YILIAN_SET_MS(r, at, Ms(now));
    out.push_back(Make(&F::mutable_received, r));
  }
  fv1::OwnerAssigned e;
  *e.mutable_owner() = owner;
  if (s->has_owner()) *e.mutable_previous() = s->owner();
  e.set_note(note);
  YILIAN_SET_MS(e, at, Ms(now));
  out.push_back(Make(&F::mutable_owner_assigned, e));
  return out;
}

absl::StatusOr<Events> Reschedule(const std::optional<fv1::Referral>& s, Side side, const fv1::Schedule& schedule,
                                  const std::string& reason, absl::Time now) {
  if (auto st = limits::Text("reason", reason, 2000, false); !st.ok()) return st;
  if (auto st = Exists(s); !st.ok()) return st;
  if (auto st = OnlySide(side, {Side::kReceiver}, "reschedule"); !st.ok()) return st;
  if (s->status() != fv1::READY) return WrongState(*s, "reschedule");
  if (s->schedule().kind() == fv1::INPATIENT_BED)
    return common::InvalidField("bed", "an inpatient referral is rescheduled to another bed");
  if (schedule.kind() != s->schedule().kind())
    return common::InvalidField(s->schedule().kind() == fv1::EXPERT_OUTPATIENT ? "session_id" : "appointment_at",
                                s->schedule().kind() == fv1::EXPERT_OUTPATIENT
                                    ? "an expert outpatient referral is rescheduled to another session"
                                    : "an examination or tele-consultation is rescheduled to another time");
  if (schedule.kind() == fv1::EXPERT_OUTPATIENT && schedule.session_id() == s->schedule().session_id() &&
      s->business_status() != fv1::SESSION_CANCELLED)
    return common::InvalidField("session_id", "the referral is booked in that session already");
  if (auto st = limits::Instant("appointment_at", schedule.at(), now, absl::ZeroDuration(), kScheduleAhead); !st.ok())
    return st;
  if (common::UnixMs(schedule.at()) <= Ms(now))
    return common::InvalidField("appointment_at", "the new time must be in the future");
  fv1::ReferralRescheduled e;
  *e.mutable_schedule() = schedule;
  e.set_reason(reason);
  YILIAN_SET_MS(e, at, Ms(now));
  return Events{Make(&F::mutable_rescheduled, e)};
}

absl::StatusOr<Events> RescheduleBed(const std::optional<fv1::Referral>& s, Side side, rv1::WardKind ward_kind,
                                     absl::Time planned_admission, const std::string& reason, absl::Time now) {
  if (auto st = limits::Text("reason", reason, 2000, false); !st.ok()) return st;
  if (auto st = internal::CheckBedAsk(ward_kind, planned_admission, now); !st.ok()) return st;
  if (auto st = Exists(s); !st.ok()) return st;
  if (auto st = OnlySide(side, {Side::kReceiver}, "reschedule"); !st.ok()) return st;
  if (s->status() != fv1::READY) return WrongState(*s, "reschedule");
  if (s->schedule().kind() != fv1::INPATIENT_BED || !s->schedule().bed_reserved())
    return common::InvalidField(s->schedule().kind() == fv1::EXPERT_OUTPATIENT ? "session_id" : "appointment_at",
                                "only an inpatient referral holding a bed is rescheduled to another bed");
  if (s->has_rescheduling())
    return absl::FailedPreconditionError(absl::StrCat("bed request ", s->rescheduling().bed_request_id(),
                                                      " is pending; wait for the bed board's answer"));
  fv1::BedRequested e = internal::BedAsked(*s, ward_kind, planned_admission, now);
  e.set_replaces_request_id(s->schedule().bed_request_id());
  e.set_reason(reason);
  return Events{Make(&F::mutable_bed_requested, e)};
}

absl::StatusOr<Events> Hold(const std::optional<fv1::Referral>& s, Side side, const std::string& reason,
                            absl::Time now) {
  if (auto st = limits::Text("reason", reason, 2000, true); !st.ok()) return st;
  if (auto st = Exists(s); !st.ok()) return st;
  if (auto st = OnlySide(side, {Side::kReceiver}, "hold"); !st.ok()) return st;
  if (s->status() != fv1::IN_PROGRESS) return WrongState(*s, "hold");
  fv1::ReferralHeld e;
  e.set_reason(reason);
  YILIAN_SET_MS(e, at, Ms(now));
  return Events{Make(&F::mutable_held, e)};
}

absl::StatusOr<Events> Resume(const std::optional<fv1::Referral>& s, Side side, absl::Time now) {
  if (auto st = Exists(s); !st.ok()) return st;
  if (auto st = OnlySide(side, {Side::kReceiver}, "resume"); !st.ok()) return st;
  if (s->status() != fv1::ON_HOLD) return WrongState(*s, "resume");
  fv1::ReferralResumed e;
  YILIAN_SET_MS(e, at, Ms(now));
  return Events{Make(&F::mutable_resumed, e)};
}

Events SessionCancelled(const std::optional<fv1::Referral>& s, const std::string& session_id, const std::string& reason,
                        absl::Time now) {
  if (!s || s->status() != fv1::READY || s->schedule().kind() != fv1::EXPERT_OUTPATIENT ||
      s->schedule().session_id() != session_id || s->business_status() == fv1::SESSION_CANCELLED)
    return {};
  fv1::BookedSessionCancelled e;
  e.set_session_id(session_id);
  e.set_reason(reason);
  YILIAN_SET_MS(e, at, Ms(now));
  return Events{Make(&F::mutable_booked_session_cancelled, e)};
}

absl::StatusOr<Events> MarkEnteredInError(const std::optional<fv1::Referral>& s, Side side, const std::string& reason,
                                          const std::string& by, const std::string& by_institution_id, absl::Time now) {
  if (auto st = limits::Text("reason", reason, 2000, true); !st.ok()) return st;
  if (auto st = Exists(s); !st.ok()) return st;
  if (auto st = OnlySide(side, {Side::kSender, Side::kReceiver}, "mark entered-in-error"); !st.ok()) return st;
  if (s->status() == fv1::ENTERED_IN_ERROR) return WrongState(*s, "mark entered-in-error");
  fv1::ReferralEnteredInError e;
  e.set_reason(reason);
  e.set_by(by);
  e.set_by_institution_id(by_institution_id);
  e.set_previous_status(s->status());
  YILIAN_SET_MS(e, at, Ms(now));
  Events out{Make(&F::mutable_entered_in_error, e)};
  // A bed asked for or held; once the patient has come it is an admission, the bed board's.
  if (s->status() == fv1::ACCEPTED || s->status() == fv1::READY)
    internal::ReleaseBed(*s, "referral entered in error: " + reason, out);
  return out;
}

}  // namespace yilian::domain::referral
