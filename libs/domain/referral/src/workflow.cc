// The receiver's and sender's actions on a referral, and the bed saga.
#include "internal.h"
#include "yilian/common/problem.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/limits/limits.h"

namespace yilian::domain::referral {

namespace rv1 = ::yilian::registry::v1;
namespace fv1 = ::yilian::referral::v1;

using internal::Exists;
using internal::Make;
using internal::Ms;
using internal::OnlySide;
using internal::WrongState;
using F = fv1::ReferralEvent;

namespace {

fv1::ReferralEvent Received(absl::Time now) {
  fv1::ReferralReceived e;
  YILIAN_SET_MS(e, at, Ms(now));
  return Make(&F::mutable_received, e);
}

absl::Status CheckReason(const std::string& reason) { return limits::Text("reason", reason, 2000, true); }

// Ends the referral with `ended` and releases a bed asked for.
template <typename M>
Events Ending(const fv1::Referral& r, M* (F::*field)(), const M& ended, const std::string& why) {
  Events out{Make(field, ended)};
  internal::ReleaseBed(r, why, out);
  return out;
}

}  // namespace

absl::StatusOr<Events> Acknowledge(const std::optional<fv1::Referral>& s, Side side, absl::Time now) {
  if (auto st = Exists(s); !st.ok()) return st;
  if (auto st = OnlySide(side, {Side::kReceiver}, "acknowledge"); !st.ok()) return st;
  if (s->status() != fv1::REQUESTED) return WrongState(*s, "acknowledge");
  return Events{Received(now)};
}

absl::StatusOr<Events> Accept(const std::optional<fv1::Referral>& s, Side side, absl::Time now) {
  if (auto st = Exists(s); !st.ok()) return st;
  if (auto st = OnlySide(side, {Side::kReceiver}, "accept"); !st.ok()) return st;
  if (s->status() != fv1::REQUESTED && s->status() != fv1::RECEIVED) return WrongState(*s, "accept");
  Events out;
  if (s->status() == fv1::REQUESTED) out.push_back(Received(now));  // accepting implies receipt
  fv1::ReferralAccepted e;
  YILIAN_SET_MS(e, at, Ms(now));
  out.push_back(Make(&F::mutable_accepted, e));
  return out;
}

absl::StatusOr<Events> Reject(const std::optional<fv1::Referral>& s, Side side, const std::string& reason_code,
                              const std::string& advice, absl::Time now) {
  if (reason_code.empty() || reason_code.size() > 64)
    return common::InvalidField("reason_code", "reason_code is 1..64 characters");
  if (auto st = limits::Text("advice", advice, limits::kText, false); !st.ok()) return st;
  if (auto st = Exists(s); !st.ok()) return st;
  if (auto st = OnlySide(side, {Side::kReceiver}, "reject"); !st.ok()) return st;
  if (s->status() != fv1::REQUESTED && s->status() != fv1::RECEIVED) return WrongState(*s, "reject");
  fv1::ReferralRejected e;
  e.set_reason_code(reason_code);
  e.set_advice(advice);
  YILIAN_SET_MS(e, at, Ms(now));
  return Events{Make(&F::mutable_rejected, e)};
}

absl::StatusOr<Events> RequestInformation(const std::optional<fv1::Referral>& s, Side side, const std::string& question,
                                          absl::Time now) {
  if (question.empty() || question.size() > 4000)
    return common::InvalidField("question", "question is 1..4000 characters");
  if (auto st = Exists(s); !st.ok()) return st;
  if (auto st = OnlySide(side, {Side::kReceiver}, "ask more information on"); !st.ok()) return st;
  if ((s->status() != fv1::REQUESTED && s->status() != fv1::RECEIVED) ||
      s->business_status() == fv1::AWAITING_INFORMATION)
    return WrongState(*s, "ask more information on");
  Events out;
  if (s->status() == fv1::REQUESTED) out.push_back(Received(now));
  fv1::InformationRequested e;
  e.set_question(question);
  YILIAN_SET_MS(e, at, Ms(now));
  out.push_back(Make(&F::mutable_information_requested, e));
  return out;
}

absl::StatusOr<Events> SupplyInformation(const std::optional<fv1::Referral>& s, Side side, const std::string& answer,
                                         const std::vector<fv1::ExamResultRef>& results, absl::Time now) {
  if (answer.empty() || answer.size() > 4000) return common::InvalidField("answer", "answer is 1..4000 characters");
  if (auto st = limits::Count("exam_results", results.size(), 50); !st.ok()) return st;
  for (const auto& r : results) {
    if (r.kind() == fv1::EXAM_KIND_UNSPECIFIED || common::UnixMs(r.performed_at()) <= 0 ||
        common::UnixMs(r.performed_at()) > Ms(now))
      return absl::InvalidArgumentError(
          "each exam result needs kind, result_id, performing institution and a past date");
    if (auto st = limits::Reference("exam_results.result_id", r.result_id()); !st.ok()) return st;
    if (auto st = limits::Reference("exam_results.performing_institution_id", r.performing_institution_id()); !st.ok())
      return st;
  }
  if (auto st = Exists(s); !st.ok()) return st;
  if (auto st = OnlySide(side, {Side::kSender}, "supply information for"); !st.ok()) return st;
  if (s->status() != fv1::RECEIVED || s->business_status() != fv1::AWAITING_INFORMATION)
    return WrongState(*s, "supply information for");
  fv1::InformationSupplied e;
  e.set_answer(answer);
  for (const auto& r : results) *e.add_exam_results() = r;
  YILIAN_SET_MS(e, at, Ms(now));
  return Events{Make(&F::mutable_information_supplied, e)};
}

absl::StatusOr<Events> ScheduleAppointment(const std::optional<fv1::Referral>& s, Side side,
                                           const fv1::Schedule& schedule, absl::Time now) {
  if (schedule.kind() == fv1::INPATIENT_BED)
    return absl::InvalidArgumentError("an inpatient bed is asked with RequestBed");
  if (schedule.kind() == fv1::SERVICE_KIND_UNSPECIFIED || !fv1::ServiceKind_IsValid(schedule.kind()))
    return common::InvalidField("schedule.kind", "schedule.kind is required");
  if (schedule.kind() == fv1::EXPERT_OUTPATIENT && schedule.session_id().empty())
    return absl::InvalidArgumentError("an expert appointment names its session");
  if (common::UnixMs(schedule.at()) <= 0) return common::InvalidField("schedule.at", "schedule.at is required");
  if (auto st = Exists(s); !st.ok()) return st;
  if (auto st = OnlySide(side, {Side::kReceiver}, "schedule"); !st.ok()) return st;
  if (s->status() != fv1::ACCEPTED) return WrongState(*s, "schedule");
  if (!s->schedule().bed_request_id().empty())
    return absl::FailedPreconditionError("a bed request is pending; wait for the bed board's answer or cancel");
  fv1::ReferralScheduled e;
  *e.mutable_schedule() = schedule;
  e.mutable_schedule()->clear_bed_request_id();
  e.mutable_schedule()->clear_bed_reserved();
  YILIAN_SET_MS(e, at, Ms(now));
  return Events{Make(&F::mutable_scheduled, e)};
}

namespace internal {

absl::Status CheckBedAsk(rv1::WardKind ward_kind, absl::Time planned_admission, absl::Time now) {
  if (ward_kind == rv1::WARD_KIND_UNSPECIFIED || !rv1::WardKind_IsValid(ward_kind))
    return common::InvalidField("bed.ward_kind", "bed.ward_kind is required");
  if (auto st =
          limits::Instant("bed.planned_admission_at", Ms(planned_admission), now, absl::ZeroDuration(), kScheduleAhead);
      !st.ok())
    return st;
  if (planned_admission <= now)
    return common::InvalidField("bed.planned_admission_at", "the planned admission must be in the future");
  return absl::OkStatus();
}

fv1::BedRequested BedAsked(const fv1::Referral& r, rv1::WardKind ward_kind, absl::Time planned_admission,
                           absl::Time now) {
  fv1::BedRequested e;
  // Unique per referral: a replacement asked in the same millisecond as the held request
  // (only a test clock does that) steps past it.
  int64_t at = Ms(now);
  while (absl::StrCat(r.referral_id(), "/bed@", at) == r.schedule().bed_request_id()) ++at;
  e.set_request_id(absl::StrCat(r.referral_id(), "/bed@", at));
  e.set_referral_id(r.referral_id());
  e.set_institution_id(r.receiver_institution_id());
  e.set_ward_kind(ward_kind);
  YILIAN_SET_MS(e, hold_until, Ms(planned_admission));
  return e;
}

}  // namespace internal

absl::StatusOr<Events> RequestBed(const std::optional<fv1::Referral>& s, Side side, rv1::WardKind ward_kind,
                                  absl::Time planned_admission, absl::Time now) {
  if (auto st = internal::CheckBedAsk(ward_kind, planned_admission, now); !st.ok()) return st;
  if (auto st = Exists(s); !st.ok()) return st;
  if (auto st = OnlySide(side, {Side::kReceiver}, "request a bed for"); !st.ok()) return st;
  if (s->status() != fv1::ACCEPTED) return WrongState(*s, "request a bed for");
  if (!s->schedule().bed_request_id().empty())
    return absl::FailedPreconditionError(absl::StrCat("bed request ", s->schedule().bed_request_id(), " is pending"));
  return Events{Make(&F::mutable_bed_requested, internal::BedAsked(*s, ward_kind, planned_admission, now))};
}

absl::StatusOr<Events> AnswerBed(const std::optional<fv1::Referral>& s, Side side, const std::string& request_id,
                                 bool reserved, const std::string& reason, absl::Time now) {
  if (auto st = Exists(s); !st.ok()) return st;
  if (auto st = OnlySide(side, {Side::kSystem}, "answer a bed request of"); !st.ok()) return st;
  fv1::BedRequestAnswered e;
  e.set_reserved(reserved);
  e.set_reason(reason);
  YILIAN_SET_MS(e, at, Ms(now));
  e.set_request_id(request_id);
  // A replacement for a held bed: reserved, it becomes the schedule and the old hold goes.
  if (s->status() == fv1::READY && !request_id.empty() && s->rescheduling().bed_request_id() == request_id) {
    Events out{Make(&F::mutable_bed_answered, e)};
    if (!reserved) return out;
    fv1::ReferralRescheduled moved;
    *moved.mutable_schedule() = s->rescheduling();
    moved.mutable_schedule()->set_bed_reserved(true);
    moved.set_reason(s->rescheduling_reason());
    YILIAN_SET_MS(moved, at, Ms(now));
    out.push_back(Make(&F::mutable_rescheduled, moved));
    fv1::BedRequestCancelled old;
    old.set_request_id(s->schedule().bed_request_id());
    old.set_referral_id(s->referral_id());
    old.set_reason(absl::StrCat("replaced by bed request ", request_id));
    out.push_back(Make(&F::mutable_bed_request_cancelled, old));
    return out;
  }
  // An answer to a request this referral no longer waits for (cancelled, redirected, or an
  // older request) changes nothing: the bed board releases what it held on cancellation.
  if (s->status() != fv1::ACCEPTED || s->schedule().bed_request_id() != request_id) return Events{};
  return Events{Make(&F::mutable_bed_answered, e)};
}

absl::StatusOr<Events> RecordArrival(const std::optional<fv1::Referral>& s, Side side,
                                     std::optional<absl::Time> arrived_at, absl::Time now) {
  if (arrived_at && *arrived_at > now + kClockSkew)
    return common::InvalidField("arrived_at", "the arrival cannot be in the future");
  if (auto st = Exists(s); !st.ok()) return st;
  if (auto st = OnlySide(side, {Side::kReceiver}, "record the arrival for"); !st.ok()) return st;
  if (s->status() != fv1::READY) return WrongState(*s, "record the arrival for");
  const absl::Time at = arrived_at ? std::min(*arrived_at, now) : now;
  if (Ms(at) < common::UnixMs(s->submitted_at()))
    return common::InvalidField("arrived_at", "the arrival cannot be before the referral was sent");
  fv1::PatientArrived e;
  YILIAN_SET_MS(e, at, Ms(at));
  Events out{Make(&F::mutable_arrived, e)};
  if (s->has_rescheduling()) {  // the patient came to the bed held: the replacement asked is let go
    fv1::BedRequestCancelled c;
    c.set_request_id(s->rescheduling().bed_request_id());
    c.set_referral_id(s->referral_id());
    c.set_reason("the patient arrived into the bed held");
    out.push_back(Make(&F::mutable_bed_request_cancelled, c));
  }
  if (s->schedule().bed_reserved()) {  // the held bed becomes the admission
    fv1::ReferredPatientAdmitted a;
    a.set_request_id(s->schedule().bed_request_id());
    a.set_referral_id(s->referral_id());
    out.push_back(Make(&F::mutable_patient_admitted, a));
  }
  return out;
}

absl::StatusOr<Events> Complete(const std::optional<fv1::Referral>& s, Side side, const std::string& summary,
                                const std::string& downward_referral_id, absl::Time now) {
  if (auto st = limits::Text("outcome_summary", summary, limits::kSummary, true); !st.ok()) return st;
  if (auto st = Exists(s); !st.ok()) return st;
  if (auto st = OnlySide(side, {Side::kReceiver}, "complete"); !st.ok()) return st;
  if (s->status() != fv1::IN_PROGRESS) return WrongState(*s, "complete");
  fv1::ReferralCompleted e;
  e.set_outcome_summary(summary);
  e.set_downward_referral_id(downward_referral_id);
  YILIAN_SET_MS(e, at, Ms(now));
  return Events{Make(&F::mutable_completed, e)};
}

absl::StatusOr<Events> Cancel(const std::optional<fv1::Referral>& s, Side side, const std::string& reason,
                              absl::Time now) {
  if (auto st = CheckReason(reason); !st.ok()) return st;
  if (auto st = Exists(s); !st.ok()) return st;
  if (auto st = OnlySide(side, {Side::kSender}, "cancel"); !st.ok()) return st;
  if (IsTerminal(s->status()) || s->status() == fv1::IN_PROGRESS || s->status() == fv1::ON_HOLD)
    return WrongState(*s, "cancel");
  fv1::ReferralCancelled e;
  e.set_reason(reason);
  YILIAN_SET_MS(e, at, Ms(now));
  return Ending(*s, &F::mutable_cancelled, e, "referral cancelled: " + reason);
}

absl::StatusOr<Events> Fail(const std::optional<fv1::Referral>& s, Side side, fv1::BusinessStatus code,
                            const std::string& note, absl::Time now) {
  if (code != fv1::NO_SHOW && code != fv1::TRANSFER_FAILED && code != fv1::PATIENT_DIED &&
      code != fv1::PATIENT_DECLINED)
    return common::InvalidField("reason", "reason is NO_SHOW, TRANSFER_FAILED, PATIENT_DIED or PATIENT_DECLINED");
  if (auto st = limits::Text("note", note, 2000, false); !st.ok()) return st;
  if (auto st = Exists(s); !st.ok()) return st;
  // Before the patient comes either side may know it will not happen; after, only the receiver.
  if (s->status() == fv1::READY) {
    if (auto st = OnlySide(side, {Side::kSender, Side::kReceiver, Side::kSystem}, "fail"); !st.ok()) return st;
  } else if (auto st = OnlySide(side, {Side::kReceiver, Side::kSystem}, "fail"); !st.ok()) {
    return st;
  }
  if (s->status() != fv1::READY && s->status() != fv1::IN_PROGRESS) return WrongState(*s, "fail");
  const std::string code_name = FhirBusinessStatus(code);
  fv1::ReferralFailed e;
  e.set_reason(note.empty() ? code_name : absl::StrCat(code_name, ": ", note));
  e.set_code(code);
  YILIAN_SET_MS(e, at, Ms(now));
  if (s->status() != fv1::READY) return Events{Make(&F::mutable_failed, e)};  // a held bed is an admission now
  return Ending(*s, &F::mutable_failed, e, "referral failed: " + e.reason());
}

absl::StatusOr<Events> Redirect(const std::optional<fv1::Referral>& s, Side side, const std::string& to_referral_id,
                                const std::string& to_institution_id, const std::string& reason, absl::Time now) {
  if (auto st = registry::CheckId("to_referral_id", to_referral_id); !st.ok()) return st;
  if (to_institution_id.empty()) return common::InvalidField("to_institution_id", "to_institution_id is required");
  if (auto st = CheckReason(reason); !st.ok()) return st;
  if (auto st = Exists(s); !st.ok()) return st;
  if (auto st = OnlySide(side, {Side::kSender, Side::kReceiver, Side::kLead}, "redirect"); !st.ok()) return st;
  if (s->status() != fv1::REQUESTED && s->status() != fv1::RECEIVED && s->status() != fv1::ACCEPTED &&
      s->status() != fv1::READY)
    return WrongState(*s, "redirect");
  if (to_institution_id == s->receiver_institution_id())
    return common::InvalidField("to_institution_id", "a redirect goes to another receiver");
  fv1::ReferralRedirected e;
  e.set_to_referral_id(to_referral_id);
  e.set_to_institution_id(to_institution_id);
  e.set_reason(reason);
  YILIAN_SET_MS(e, at, Ms(now));
  return Ending(*s, &F::mutable_redirected, e, "referral redirected: " + reason);
}

}  // namespace yilian::domain::referral
