// Folding referral events into state, the states' allowed actions, and the durable timers.
#include "internal.h"
#include "yilian/common/status_macros.h"
#include "yilian/common/timestamp.h"

namespace yilian::domain::referral {

namespace fv1 = ::yilian::referral::v1;

using internal::Make;
using internal::Ms;
using F = fv1::ReferralEvent;

bool IsTerminal(fv1::Status s) {
  return s == fv1::REJECTED || s == fv1::COMPLETED || s == fv1::CANCELLED || s == fv1::FAILED ||
         s == fv1::ENTERED_IN_ERROR;
}

std::string FhirStatus(fv1::Status s) { return internal::StatusName(s); }

std::string FhirBusinessStatus(fv1::BusinessStatus b) {
  if (b == fv1::BUSINESS_STATUS_UNSPECIFIED) return "";
  std::string n = fv1::BusinessStatus_Name(b);
  for (auto& c : n) c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return n;
}

std::vector<std::string> AllowedActions(const fv1::Referral& r) {
  std::vector<std::string> out;
  switch (r.status()) {
    case fv1::DRAFT:
      out = {"send", "amend", "cancel"};
      break;
    case fv1::REQUESTED:
      out = {"acknowledge", "accept", "reject", "request-information", "amend", "assign-owner", "cancel", "redirect"};
      break;
    case fv1::RECEIVED:
      if (r.business_status() == fv1::AWAITING_INFORMATION)
        out = {"supply-information", "accept", "reject", "amend", "assign-owner", "cancel", "redirect"};
      else
        out = {"accept", "reject", "request-information", "amend", "assign-owner", "cancel", "redirect"};
      break;
    case fv1::ACCEPTED:  // schedule a slot, an appointment or a bed (the bed asked of the green channel)
      if (r.business_status() == fv1::BED_REQUESTED)  // the bed board's answer first
        out = {"assign-owner", "cancel", "redirect"};
      else
        out = {"schedule", "assign-owner", "cancel", "redirect"};
      break;
    case fv1::READY:
      if (r.has_rescheduling())  // another bed asked for: the bed board's answer first
        out = {"record-arrival", "assign-owner", "fail", "cancel", "redirect"};
      else
        out = {"record-arrival", "reschedule", "assign-owner", "fail", "cancel", "redirect"};
      break;
    case fv1::IN_PROGRESS:
      out = {"complete", "hold", "assign-owner", "fail"};
      break;
    case fv1::ON_HOLD:
      out = {"resume", "assign-owner"};
      break;
    default:
      break;
  }
  if (r.status() != fv1::ENTERED_IN_ERROR && r.status() != fv1::STATUS_UNSPECIFIED)
    out.push_back("mark-entered-in-error");
  return out;
}

namespace {

// The escalation window: as long again as the first answer deadline.
int64_t Window(const fv1::Referral& r) {
  return std::max<int64_t>(1, common::UnixMs(r.respond_by()) - common::UnixMs(r.submitted_at()));
}
// The receiver owes an answer (not while it waits for the sender's).
bool Unanswered(const fv1::Referral& r) {
  return (r.status() == fv1::REQUESTED || r.status() == fv1::RECEIVED) &&
         r.business_status() != fv1::AWAITING_INFORMATION;
}
bool Unscheduled(const fv1::Referral& r) {
  return r.status() == fv1::REQUESTED || r.status() == fv1::RECEIVED || r.status() == fv1::ACCEPTED;
}
// A booked slot or appointment the patient did not come to (a bed's hold lapses at the bed board).
bool Booked(const fv1::Referral& r) {
  return r.status() == fv1::READY && r.schedule().kind() != fv1::INPATIENT_BED && common::UnixMs(r.schedule().at()) > 0;
}

absl::Status Corrupt(const char* what) { return absl::FailedPreconditionError(absl::StrCat("referral event ", what)); }

}  // namespace

std::string EscalationTarget(const fv1::Referral& r, int level, const Directory& directory) {
  if (level <= 1) return r.receiver_institution_id();
  auto leads_of = [&](const std::string& institution) {
    std::vector<std::string> leads;
    for (const auto& id : directory.ConsortiaOf(institution))
      if (auto c = directory.FindConsortium(id)) leads.push_back(c->lead_institution_id());
    return leads;
  };
  const auto sender = leads_of(r.sender_institution_id()), receiver = leads_of(r.receiver_institution_id());
  std::string shared, any;
  for (const auto& lead : receiver) {
    if (lead == r.receiver_institution_id()) continue;
    if (any.empty()) any = lead;
    if (shared.empty() && std::find(sender.begin(), sender.end(), lead) != sender.end()) shared = lead;
  }
  return shared.empty() ? any : shared;
}

bool InEscalationQueue(const fv1::Referral& r) {
  return !r.escalated_to_institution_id().empty() && Unanswered(r);  // waiting for the sender: not the queue's
}

Events DueTimers(const std::optional<fv1::Referral>& s, absl::Time now, const Directory* directory) {
  Events out;
  if (!s || IsTerminal(s->status())) return out;
  const int64_t t = Ms(now);
  if (Unscheduled(*s) && t >= common::UnixMs(s->schedule_by())) {
    fv1::ReferralCancelled e;
    e.set_reason("not scheduled by its deadline");
    e.set_code(fv1::DEADLINE_EXPIRED);
    YILIAN_SET_MS(e, at, t);
    out.push_back(Make(&F::mutable_cancelled, e));
    internal::ReleaseBed(*s, "referral cancelled: not scheduled by its deadline", out);
    return out;
  }
  if (Booked(*s) && t >= common::UnixMs(s->schedule().at()) + absl::ToInt64Milliseconds(kNoShowGrace)) {
    if (s->business_status() == fv1::SESSION_CANCELLED) {
      fv1::ReferralCancelled e;
      e.set_reason("its expert session was cancelled and it was not rescheduled");
      e.set_code(fv1::DEADLINE_EXPIRED);
      YILIAN_SET_MS(e, at, t);
      out.push_back(Make(&F::mutable_cancelled, e));
    } else {
      fv1::ReferralFailed e;
      e.set_reason("the patient did not come to the appointment");
      e.set_code(fv1::NO_SHOW);
      YILIAN_SET_MS(e, at, t);
      out.push_back(Make(&F::mutable_failed, e));
    }
    return out;
  }
  if (!Unanswered(*s)) return out;
  for (int level = s->escalation_level() + 1; level <= 2; ++level) {
    if (t < common::UnixMs(s->respond_by()) + (level - 1) * Window(*s)) break;
    fv1::ReferralEscalated e;
    e.set_level(level);
    e.set_to(level == 1 ? "receiver referral office" : "consortium lead hospital");
    if (directory != nullptr) e.set_to_institution_id(EscalationTarget(*s, level, *directory));
    YILIAN_SET_MS(e, at, t);
    out.push_back(Make(&F::mutable_escalated, e));
  }
  return out;
}

absl::Time NextTimer(const fv1::Referral& r) {
  if (IsTerminal(r.status()) || r.status() == fv1::DRAFT) return absl::InfiniteFuture();
  int64_t next = Unscheduled(r) ? common::UnixMs(r.schedule_by()) : INT64_MAX;
  if (Booked(r)) next = std::min(next, common::UnixMs(r.schedule().at()) + absl::ToInt64Milliseconds(kNoShowGrace));
  if (Unanswered(r) && r.escalation_level() < 2)
    next = std::min(next, common::UnixMs(r.respond_by()) + r.escalation_level() * Window(r));
  return next == INT64_MAX ? absl::InfiniteFuture() : absl::FromUnixMillis(next);
}

absl::Status Evolve(std::optional<fv1::Referral>& s, const fv1::ReferralEvent& e) {
  if (e.has_submitted()) {
    if (s) return Corrupt("submitted twice");
    s = e.submitted().referral();
    return absl::OkStatus();
  }
  if (!s) return Corrupt("before the referral was submitted");
  auto& r = *s;
  switch (e.kind_case()) {
    case F::kSent:
      r.set_status(fv1::REQUESTED);
      YILIAN_SET_MS(r, submitted_at, common::UnixMs(e.sent().submitted_at()));
      YILIAN_SET_MS(r, respond_by, common::UnixMs(e.sent().respond_by()));
      YILIAN_SET_MS(r, schedule_by, common::UnixMs(e.sent().schedule_by()));
      break;
    case F::kAmended:
      RETURN_IF_ERROR(internal::ApplyAmendment(r, e.amended()));
      break;
    case F::kReceived:
      r.set_status(fv1::RECEIVED);
      break;
    case F::kAccepted:
      r.set_status(fv1::ACCEPTED);
      r.clear_business_status();
      break;
    case F::kOwnerAssigned:
      *r.mutable_owner() = e.owner_assigned().owner();
      break;
    case F::kRejected:
      r.set_status(fv1::REJECTED);
      r.clear_business_status();
      r.set_status_reason(e.rejected().reason_code());
      r.set_advice(e.rejected().advice());
      break;
    case F::kInformationRequested:
      r.set_status(fv1::RECEIVED);
      r.set_business_status(fv1::AWAITING_INFORMATION);
      r.set_status_reason(e.information_requested().question());
      break;
    case F::kInformationSupplied:
      r.set_status(fv1::RECEIVED);
      r.set_business_status(fv1::INFORMATION_SUPPLIED);
      r.clear_status_reason();
      for (const auto& x : e.information_supplied().exam_results()) *r.add_exam_results() = x;
      break;
    case F::kScheduled:
    case F::kRescheduled: {
      const auto& sc = e.has_scheduled() ? e.scheduled().schedule() : e.rescheduled().schedule();
      r.set_status(fv1::READY);
      r.set_business_status(sc.kind() == fv1::EXPERT_OUTPATIENT ? fv1::SLOT_BOOKED
                            : sc.kind() == fv1::INPATIENT_BED   ? fv1::BED_RESERVED
                                                                : fv1::APPOINTMENT_BOOKED);
      r.clear_status_reason();
      *r.mutable_schedule() = sc;
      r.clear_rescheduling();
      r.clear_rescheduling_reason();
      break;
    }
    case F::kBedRequested: {
      if (!e.bed_requested().replaces_request_id().empty()) {  // another bed for the one held
        auto* next = r.mutable_rescheduling();
        next->set_kind(fv1::INPATIENT_BED);
        next->set_bed_request_id(e.bed_requested().request_id());
        *next->mutable_at() = e.bed_requested().hold_until();
        r.set_rescheduling_reason(e.bed_requested().reason());
        r.set_business_status(fv1::BED_REQUESTED);
        r.clear_status_reason();
        break;
      }
      auto* sc = r.mutable_schedule();
      sc->set_kind(fv1::INPATIENT_BED);
      sc->set_bed_request_id(e.bed_requested().request_id());
      YILIAN_SET_MS(*sc, at, common::UnixMs(e.bed_requested().hold_until()));
      sc->set_bed_reserved(false);
      r.set_business_status(fv1::BED_REQUESTED);
      r.clear_status_reason();
      break;
    }
    case F::kBedAnswered:
      if (!e.bed_answered().request_id().empty() &&
          e.bed_answered().request_id() == r.rescheduling().bed_request_id()) {  // a replacement's answer
        r.set_business_status(fv1::BED_RESERVED);  // the bed held so far, or the new one (rescheduled next)
        if (!e.bed_answered().reserved()) {
          r.clear_rescheduling();
          r.clear_rescheduling_reason();
          r.set_status_reason(absl::StrCat("new bed declined: ", e.bed_answered().reason()));
        }
      } else if (e.bed_answered().reserved()) {
        r.set_status(fv1::READY);
        r.set_business_status(fv1::BED_RESERVED);
        r.mutable_schedule()->set_bed_reserved(true);
        r.clear_status_reason();
      } else {
        r.clear_schedule();
        r.set_business_status(fv1::BED_DECLINED);
        r.set_status_reason(absl::StrCat("bed declined: ", e.bed_answered().reason()));
      }
      break;
    case F::kBookedSessionCancelled:
      r.set_business_status(fv1::SESSION_CANCELLED);
      r.set_status_reason(absl::StrCat("expert session cancelled: ", e.booked_session_cancelled().reason()));
      break;
    case F::kArrived:
      r.set_status(fv1::IN_PROGRESS);
      if (r.schedule().bed_reserved())  // the held bed becomes the admission the bed board names by the request
        r.mutable_schedule()->set_admission_id(r.schedule().bed_request_id());
      r.clear_business_status();
      r.clear_status_reason();
      break;
    case F::kHeld:
      r.set_status(fv1::ON_HOLD);
      r.set_status_reason(e.held().reason());
      break;
    case F::kResumed:
      r.set_status(fv1::IN_PROGRESS);
      r.clear_status_reason();
      break;
    case F::kPatientAdmitted:
      break;  // the bed board's business; the referral is in progress already
    case F::kCompleted:
      r.set_status(fv1::COMPLETED);
      r.clear_business_status();
      r.set_outcome_summary(e.completed().outcome_summary());
      r.set_linked_to(e.completed().downward_referral_id());
      break;
    case F::kCancelled:
      r.set_status(fv1::CANCELLED);
      r.set_business_status(e.cancelled().code());
      r.set_status_reason(e.cancelled().reason());
      break;
    case F::kFailed:
      r.set_status(fv1::FAILED);
      r.set_business_status(e.failed().code());
      r.set_status_reason(e.failed().reason());
      break;
    case F::kBedRequestCancelled:
      if (e.bed_request_cancelled().request_id() == r.rescheduling().bed_request_id()) {
        r.clear_rescheduling();
        r.clear_rescheduling_reason();
      } else if (e.bed_request_cancelled().request_id() == r.schedule().bed_request_id() ||
                 e.bed_request_cancelled().request_id().empty()) {
        r.mutable_schedule()->clear_bed_request_id();
      }
      break;
    case F::kRedirected:
      r.set_status(fv1::CANCELLED);
      r.set_business_status(fv1::REDIRECTED);
      r.set_status_reason(e.redirected().reason());
      r.set_linked_to(e.redirected().to_referral_id());
      break;
    case F::kEscalated:
      r.set_escalation_level(e.escalated().level());
      if (!e.escalated().to_institution_id().empty())
        r.set_escalated_to_institution_id(e.escalated().to_institution_id());
      r.set_business_status(e.escalated().level() >= 2 ? fv1::ESCALATED_TO_LEAD : fv1::ESCALATED_TO_RECEIVER_OFFICE);
      break;
    case F::kEnteredInError:
      r.set_status(fv1::ENTERED_IN_ERROR);
      r.clear_business_status();
      r.set_status_reason(e.entered_in_error().reason());
      break;
    default:
      return absl::InvalidArgumentError("empty referral event");
  }
  return absl::OkStatus();
}

}  // namespace yilian::domain::referral
