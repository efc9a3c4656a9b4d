// (b) The referral service's command validation: libs/domain/referral's decide functions
// (workflow, submission and routing, bed saga, timers, expert slots), called as
// referral_commands.cc, referral_service.cc and timers.cc call them, then command::Stream's fold
// and the reply's reads (allowed actions, exam recognition, the next timer).
#include "support.h"
#include "targets.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/referral/referral.h"
#include "yilian/domain/referral/slots.h"
#include "yilian/greenchannel/v1/greenchannel.pb.h"
#include "yilian/referral/v1/referral_service.pb.h"

namespace yilian::fuzz {

namespace {

namespace dref = ::yilian::domain::referral;
namespace fv1 = ::yilian::referral::v1;
namespace rv1 = ::yilian::registry::v1;
using State = std::optional<fv1::Referral>;

constexpr dref::Side kSides[] = {dref::Side::kSender, dref::Side::kReceiver, dref::Side::kLead, dref::Side::kSystem};

// command::Stream::Add's fold of a decision (INTERNAL when an event does not fold), then what the
// reply and the timer index read from the new state.
void FoldDecision(State state, const absl::StatusOr<dref::Events>& events, const dref::Directory& dir, absl::Time now) {
  if (!events.ok()) return;
  for (const auto& e : *events) {
    Require(dref::Evolve(state, e).ok(), "a referral command's events fold into the state it was decided on");
    Require(state.has_value(), "a folded referral event leaves a state");
  }
  if (!state) return;
  (void)dref::RecogniseExams(*state, dir, now);
  (void)dref::AllowedActions(*state);
  (void)dref::FhirStatus(state->status());
  (void)dref::FhirBusinessStatus(state->business_status());
  (void)dref::NextTimer(*state);
}

// Expert slots: the session (registry mirror row), its bookings and the referral booking.
void Slots(FuzzInput& in, const State& state, absl::Time now) {
  rv1::ExpertSessionReply session;
  fv1::SessionBookings bookings;
  if (!in.Parse(session) || !in.Parse(bookings)) return;
  const bool signed_resident = in.Bool();
  const fv1::Referral referral = state ? *state : fv1::Referral();
  (void)dref::SessionStart(session.session());
  (void)dref::Availability(session.session(), bookings, referral.sender_institution_id(), signed_resident, now);
  auto booked = dref::BookSlot(session.session(), bookings, referral, signed_resident, now);
  if (booked.ok()) {
    fv1::SessionBookings next = bookings;
    Require(dref::EvolveSession(next, *booked).ok(), "a booked slot folds into its session");
  }
  if (auto released = dref::ReleaseSlot(bookings, referral.referral_id(), "fuzz", now)) {
    fv1::SessionBookings next = bookings;
    Require(dref::EvolveSession(next, *released).ok(), "a released slot folds into its session");
  }
}

}  // namespace

// Layout: op, side, now (u32 s after 2017), directory (2 chunks), state (flag + ReferralReply
// chunk), request chunk [, session and bookings chunks, flag].
int FuzzReferralCommands(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const uint8_t op = in.Byte();
  const dref::Side side = kSides[in.Byte() & 3];
  const absl::Time now = ReadNow(in);
  FuzzDirectory dir;
  if (!dir.Read(in)) return 0;
  State s;
  const bool exists = in.Bool();
  fv1::ReferralReply row;
  if (!in.Parse(row)) return 0;
  if (exists) s = row.referral();
  switch (op % 24) {
    case 0: {
      fv1::SubmitReferralRequest req;
      if (!in.Parse(req)) return 0;
      FoldDecision(
          s, req.draft() ? dref::SaveDraft(s, req.referral(), dir, now) : dref::Submit(s, req.referral(), dir, now),
          dir, now);
      return 0;
    }
    case 1:
    case 2:
    case 3: {
      fv1::RecordArrivalRequest req;  // field for field an Acknowledge or Accept request, plus the instant
      if (!in.Parse(req)) return 0;
      const int which = op % 24;
      std::optional<absl::Time> at;
      if (req.has_arrived_at()) at = absl::FromUnixSeconds(req.arrived_at().seconds() % (int64_t{1} << 40));
      FoldDecision(s,
                   which == 1   ? dref::Acknowledge(s, side, now)
                   : which == 2 ? dref::Accept(s, side, now)
                                : dref::RecordArrival(s, side, at, now),
                   dir, now);
      return 0;
    }
    case 4: {
      fv1::RejectReferralRequest req;
      if (!in.Parse(req)) return 0;
      FoldDecision(s, dref::Reject(s, side, req.reason_code(), req.advice(), now), dir, now);
      return 0;
    }
    case 5: {
      fv1::RequestInformationRequest req;
      if (!in.Parse(req)) return 0;
      FoldDecision(s, dref::RequestInformation(s, side, req.question(), now), dir, now);
      return 0;
    }
    case 6: {
      fv1::SupplyInformationRequest req;
      if (!in.Parse(req)) return 0;
      const std::vector<fv1::ExamResultRef> results(req.exam_results().begin(), req.exam_results().end());
      FoldDecision(s, dref::SupplyInformation(s, side, req.answer(), results, now), dir, now);
      return 0;
    }
    case 7: {  // ReferralService::Schedule: a bed, an appointment time, or an expert session
      fv1::ScheduleReferralRequest req;
      if (!in.Parse(req)) return 0;
      if (req.has_bed()) {
        FoldDecision(s,
                     dref::RequestBed(s, side, req.bed().ward_kind(),
                                      absl::FromUnixMillis(common::UnixMs(req.bed().planned_admission_at())), now),
                     dir, now);
      } else {
        fv1::Schedule schedule;
        schedule.set_kind(req.has_appointment_at() && s ? s->requested_service() : fv1::EXPERT_OUTPATIENT);
        schedule.set_session_id(req.session_id());
        YILIAN_SET_MS(
            schedule, at,
            req.has_session_id() ? absl::ToUnixMillis(now) + 3'600'000 : common::UnixMs(req.appointment_at()));
        FoldDecision(s, dref::ScheduleAppointment(s, side, schedule, now), dir, now);
        if (req.has_session_id()) Slots(in, s, now);
      }
      return 0;
    }
    case 8: {  // the bed board's answer, as the intake gives it
      greenchannel::v1::BedRequest answer;
      if (!in.Parse(answer)) return 0;
      FoldDecision(s, dref::AnswerBed(s, side, answer.request_id(), in.Bool(), answer.reason(), now), dir, now);
      return 0;
    }
    case 9: {  // ReferralService::Complete, with an optional downward referral submitted first
      fv1::CompleteReferralRequest req;
      if (!in.Parse(req)) return 0;
      std::string down_id;
      if (req.has_downward() && s) {
        fv1::Referral d = req.downward();
        down_id = s->referral_id() + ".down";
        d.set_referral_id(down_id);
        d.set_direction(fv1::DOWNWARD);
        d.set_sender_institution_id(s->receiver_institution_id());
        *d.mutable_patient() = s->patient();
        d.set_linked_from(s->referral_id());
        if (d.priority() == fv1::PRIORITY_UNSPECIFIED) d.set_priority(fv1::ROUTINE);
        FoldDecision(std::nullopt, dref::Submit(std::nullopt, d, dir, now), dir, now);
      }
      FoldDecision(s, dref::Complete(s, side, req.outcome_summary(), down_id, now), dir, now);
      return 0;
    }
    case 10: {
      fv1::CancelReferralRequest req;
      if (!in.Parse(req)) return 0;
      FoldDecision(s, dref::Cancel(s, side, req.reason(), now), dir, now);
      return 0;
    }
    case 11: {
      fv1::FailReferralRequest req;
      if (!in.Parse(req)) return 0;
      FoldDecision(s, dref::Fail(s, side, req.reason(), req.note(), now), dir, now);
      return 0;
    }
    case 12: {  // ReferralService::Redirect: the same request resubmitted to another receiver
      fv1::RedirectReferralRequest req;
      if (!in.Parse(req)) return 0;
      std::string to = req.to_institution_id();
      if (s) {
        fv1::Referral d = *s;
        d.clear_status();
        d.clear_submitted_at();
        d.clear_respond_by();
        d.clear_schedule_by();
        d.clear_escalation_level();
        d.clear_schedule();
        d.clear_status_reason();
        d.clear_advice();
        d.clear_outcome_summary();
        d.clear_linked_to();
        d.clear_routing();
        d.set_referral_id(s->referral_id() + ".redir");
        d.set_linked_from(s->referral_id());
        d.set_receiver_institution_id(req.to_institution_id());
        if (req.to_capability() != rv1::CAPABILITY_UNSPECIFIED)
          d.mutable_routing()->set_capability(req.to_capability());
        auto next = dref::Submit(std::nullopt, d, dir, now);
        if (next.ok()) to = (*next)[0].submitted().referral().receiver_institution_id();
        FoldDecision(std::nullopt, next, dir, now);
      }
      FoldDecision(s, dref::Redirect(s, side, s ? s->referral_id() + ".redir" : "x.redir", to, req.reason(), now), dir,
                   now);
      return 0;
    }
    case 13:  // the durable timers (timers.cc) on whatever state the journal holds
      FoldDecision(s, dref::DueTimers(s, now), dir, now);
      if (s) (void)dref::NextTimer(*s);
      return 0;
    case 14:
      if (s) (void)dref::RecogniseExams(*s, dir, now);
      for (int k = 0; k < 9; ++k) (void)dref::ValidityOf(static_cast<fv1::ExamKind>(k));
      return 0;
    case 15:
      Slots(in, s, now);
      return 0;
    case 16:
      FoldDecision(s, dref::Send(s, side, dir, now), dir, now);
      return 0;
    case 17: {
      fv1::AmendReferralRequest req;
      if (!in.Parse(req)) return 0;
      const std::vector<std::string> paths(req.update_mask().paths().begin(), req.update_mask().paths().end());
      FoldDecision(s, dref::Amend(s, side, req.changes(), paths, dir, now), dir, now);
      return 0;
    }
    case 18: {
      fv1::AssignOwnerRequest req;
      if (!in.Parse(req)) return 0;
      FoldDecision(s, dref::AssignOwner(s, side, req.owner(), req.note(), now), dir, now);
      return 0;
    }
    case 19: {
      fv1::Schedule req;
      if (!in.Parse(req)) return 0;
      FoldDecision(s, dref::Reschedule(s, side, req, "moved", now), dir, now);
      return 0;
    }
    case 20:
      FoldDecision(s, dref::Hold(s, side, "sent for an exam elsewhere", now), dir, now);
      return 0;
    case 21:
      FoldDecision(s, dref::Resume(s, side, now), dir, now);
      return 0;
    case 22: {
      fv1::MarkEnteredInErrorRequest req;
      if (!in.Parse(req)) return 0;
      FoldDecision(s, dref::MarkEnteredInError(s, side, req.reason(), "someone", "some-institution", now), dir, now);
      return 0;
    }
    default: {  // intake.cc: a cancelled expert session told to a referral booked in it
      fv1::SessionBookings b;
      if (!in.Parse(b)) return 0;
      FoldDecision(s, dref::SessionCancelled(s, b.session_id(), "the expert is away", now), dir, now);
      return 0;
    }
  }
}

}  // namespace yilian::fuzz
