// Folding referral events into state, the states' allowed actions, and the durable timers.
#include "internal.h"

namespace yilian::domain::referral {

namespace fv1 = ::yilian::referral::v1;

using internal::Make;
using internal::Ms;
using F = fv1::ReferralEvent;

bool IsTerminal(fv1::Status s) {
  return s == fv1::REJECTED || s == fv1::COMPLETED || s == fv1::CANCELLED || s == fv1::FAILED || s == fv1::REDIRECTED;
}

std::vector<std::string> AllowedActions(fv1::Status s) {
  switch (s) {
    case fv1::REQUESTED:
      return {"acknowledge", "accept", "reject", "request-information", "cancel", "redirect"};
    case fv1::RECEIVED:
      return {"accept", "reject", "request-information", "cancel", "redirect"};
    case fv1::ON_HOLD:
      return {"supply-information", "reject", "cancel", "redirect"};
    case fv1::ACCEPTED:  // schedule a slot, an appointment or a bed (the bed asked of the green channel)
      return {"schedule", "cancel", "redirect"};
    case fv1::SCHEDULED:
      return {"record-arrival", "cancel", "redirect"};
    case fv1::IN_PROGRESS:
      return {"complete"};
    default:
      return {};
  }
}

namespace {

// The escalation window: as long again as the first answer deadline.
int64_t Window(const fv1::Referral& r) { return std::max<int64_t>(1, r.respond_by_ms() - r.submitted_at_ms()); }
bool Unanswered(const fv1::Referral& r) { return r.status() == fv1::REQUESTED || r.status() == fv1::RECEIVED; }
bool Unscheduled(const fv1::Referral& r) {
  return r.status() == fv1::REQUESTED || r.status() == fv1::RECEIVED || r.status() == fv1::ON_HOLD ||
         r.status() == fv1::ACCEPTED;
}

absl::Status Corrupt(const char* what) { return absl::FailedPreconditionError(absl::StrCat("referral event ", what)); }

}  // namespace

Events DueTimers(const std::optional<fv1::Referral>& s, absl::Time now) {
  Events out;
  if (!s || IsTerminal(s->status())) return out;
  const int64_t t = Ms(now);
  if (Unscheduled(*s) && t >= s->schedule_by_ms()) {
    fv1::ReferralFailed e;
    e.set_reason("not scheduled by its deadline");
    e.set_at_ms(t);
    out.push_back(Make(&F::mutable_failed, e));
    if (!s->schedule().bed_request_id().empty()) {
      fv1::BedRequestCancelled c;
      c.set_request_id(s->schedule().bed_request_id());
      c.set_referral_id(s->referral_id());
      c.set_reason("referral failed: not scheduled by its deadline");
      out.push_back(Make(&F::mutable_bed_request_cancelled, c));
    }
    return out;
  }
  if (!Unanswered(*s)) return out;
  for (int level = s->escalation_level() + 1; level <= 2; ++level) {
    if (t < s->respond_by_ms() + (level - 1) * Window(*s)) break;
    fv1::ReferralEscalated e;
    e.set_level(level);
    e.set_to(level == 1 ? "receiver referral office" : "consortium lead hospital");
    e.set_at_ms(t);
    out.push_back(Make(&F::mutable_escalated, e));
  }
  return out;
}

absl::Time NextTimer(const fv1::Referral& r) {
  if (IsTerminal(r.status())) return absl::InfiniteFuture();
  int64_t next = Unscheduled(r) ? r.schedule_by_ms() : INT64_MAX;
  if (Unanswered(r) && r.escalation_level() < 2)
    next = std::min(next, r.respond_by_ms() + r.escalation_level() * Window(r));
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
    case F::kReceived:
      r.set_status(fv1::RECEIVED);
      break;
    case F::kAccepted:
      r.set_status(fv1::ACCEPTED);
      break;
    case F::kRejected:
      r.set_status(fv1::REJECTED);
      r.set_status_reason(e.rejected().reason_code());
      r.set_advice(e.rejected().advice());
      break;
    case F::kInformationRequested:
      r.set_status(fv1::ON_HOLD);
      r.set_status_reason(e.information_requested().question());
      break;
    case F::kInformationSupplied:
      r.set_status(fv1::RECEIVED);
      r.clear_status_reason();
      for (const auto& x : e.information_supplied().exam_results()) *r.add_exam_results() = x;
      break;
    case F::kScheduled:
      r.set_status(fv1::SCHEDULED);
      *r.mutable_schedule() = e.scheduled().schedule();
      break;
    case F::kBedRequested: {
      auto* sc = r.mutable_schedule();
      sc->set_kind(fv1::INPATIENT_BED);
      sc->set_bed_request_id(e.bed_requested().request_id());
      sc->set_at_ms(e.bed_requested().hold_until_ms());
      sc->set_bed_reserved(false);
      break;
    }
    case F::kBedAnswered:
      if (e.bed_answered().reserved()) {
        r.set_status(fv1::SCHEDULED);
        r.mutable_schedule()->set_bed_reserved(true);
        r.clear_status_reason();
      } else {
        r.clear_schedule();
        r.set_status_reason(absl::StrCat("bed declined: ", e.bed_answered().reason()));
      }
      break;
    case F::kArrived:
      r.set_status(fv1::IN_PROGRESS);
      break;
    case F::kPatientAdmitted:
      break;  // the bed board's business; the referral is in progress already
    case F::kCompleted:
      r.set_status(fv1::COMPLETED);
      r.set_outcome_summary(e.completed().outcome_summary());
      r.set_linked_to(e.completed().downward_referral_id());
      break;
    case F::kCancelled:
      r.set_status(fv1::CANCELLED);
      r.set_status_reason(e.cancelled().reason());
      break;
    case F::kFailed:
      r.set_status(fv1::FAILED);
      r.set_status_reason(e.failed().reason());
      break;
    case F::kBedRequestCancelled:
      r.mutable_schedule()->clear_bed_request_id();
      break;
    case F::kRedirected:
      r.set_status(fv1::REDIRECTED);
      r.set_status_reason(e.redirected().reason());
      r.set_linked_to(e.redirected().to_referral_id());
      break;
    case F::kEscalated:
      r.set_escalation_level(e.escalated().level());
      break;
    default:
      return absl::InvalidArgumentError("empty referral event");
  }
  return absl::OkStatus();
}

}  // namespace yilian::domain::referral
