// The referral lifecycle beyond the answer, in the core: drafts, amendments, owners, failure
// with a coded reason, rescheduling, arrival at a given instant, hold and resume, a cancelled
// session, no-show timers and entered-in-error.
#include "referral_fixture.h"
#include "yilian/domain/referral/access.h"

namespace yilian::domain::referral {
namespace {

class ReferralLifecycleTest : public ReferralCoreTest {
 protected:
  std::optional<fv1::Referral> Ready(fv1::ServiceKind kind = fv1::EXPERT_OUTPATIENT) {
    auto d = Draft();
    d.set_requested_service(kind);
    auto s = Submitted(d);
    Do(s, Accept(s, Side::kReceiver, kNow));
    fv1::Schedule slot;
    slot.set_kind(kind);
    if (kind == fv1::EXPERT_OUTPATIENT) slot.set_session_id("loudi-1st/neuro/am");
    slot.set_at_ms(absl::ToUnixMillis(kNow + absl::Hours(48)));
    Do(s, ScheduleAppointment(s, Side::kReceiver, slot, kNow));
    return s;
  }
};

TEST_F(ReferralLifecycleTest, ADraftIsCheckedKeptFromTheReceiverAndSentWithFreshDeadlines) {
  auto bad = Draft();
  bad.set_reason("");
  EXPECT_CODE(SaveDraft(std::nullopt, bad, dir_, kNow), kInvalidArgument);  // checked as a submission
  ASSERT_OK_AND_ASSIGN(auto saved, SaveDraft(std::nullopt, Draft(), dir_, kNow));
  auto s = Fold(saved);
  EXPECT_EQ(s->status(), fv1::DRAFT);
  EXPECT_EQ(s->respond_by_ms(), 0);
  EXPECT_EQ(NextTimer(*s), absl::InfiniteFuture());
  common::Principal receiver{"dr.wang", "loudi-1st", common::Role::ROLE_CLINICIAN};
  EXPECT_CODE(SideOf(receiver, *s, dir_), kPermissionDenied);
  common::Principal sender{"dr.li", "qiaotouhe-thc", common::Role::ROLE_CLINICIAN};
  EXPECT_OK(SideOf(sender, *s, dir_).status());
  EXPECT_CODE(Send(s, Side::kReceiver, dir_, kNow), kPermissionDenied);
  const absl::Time later = kNow + absl::Hours(3);
  Do(s, Send(s, Side::kSender, dir_, later));
  EXPECT_EQ(s->status(), fv1::REQUESTED);
  EXPECT_EQ(s->submitted_at_ms(), absl::ToUnixMillis(later));
  EXPECT_EQ(s->respond_by_ms(), absl::ToUnixMillis(later + absl::Hours(24)));
  EXPECT_OK(SideOf(receiver, *s, dir_).status());
  EXPECT_CODE(Send(s, Side::kSender, dir_, later), kFailedPrecondition);
}

TEST_F(ReferralLifecycleTest, TheSenderAmendsBeforeAcceptanceAndAPriorityMovesTheDeadlines) {
  auto s = Submitted();
  fv1::Referral changes;
  changes.set_priority(fv1::ASAP);
  changes.set_notes("worse since this morning");
  EXPECT_CODE(Amend(s, Side::kReceiver, changes, {"priority"}, dir_, kNow), kPermissionDenied);
  EXPECT_CODE(Amend(s, Side::kSender, changes, {}, dir_, kNow), kInvalidArgument);
  EXPECT_CODE(Amend(s, Side::kSender, changes, {"receiver_institution_id"}, dir_, kNow), kInvalidArgument);
  EXPECT_CODE(Amend(s, Side::kSender, changes, {"notes", "notes"}, dir_, kNow), kInvalidArgument);
  EXPECT_CODE(Amend(s, Side::kSender, changes, {"reason"}, dir_, kNow), kInvalidArgument);  // "" is no reason
  Do(s, Amend(s, Side::kSender, changes, {"priority", "notes"}, dir_, kNow + absl::Minutes(5)));
  EXPECT_EQ(s->priority(), fv1::ASAP);
  EXPECT_EQ(s->notes(), "worse since this morning");
  EXPECT_EQ(s->reason(), Draft().reason());  // unnamed fields stay
  EXPECT_EQ(s->respond_by_ms(), absl::ToUnixMillis(kNow + absl::Hours(2)));
  EXPECT_EQ(s->schedule_by_ms(), absl::ToUnixMillis(kNow + absl::Hours(8)));
  Do(s, Accept(s, Side::kReceiver, kNow));
  EXPECT_CODE(Amend(s, Side::kSender, changes, {"notes"}, dir_, kNow), kFailedPrecondition);
}

TEST_F(ReferralLifecycleTest, TheReceiverAssignsAnOwnerAndHandsOver) {
  auto s = Submitted();
  fv1::Owner dept;
  dept.set_department("neurology");
  EXPECT_CODE(AssignOwner(s, Side::kSender, dept, "", kNow), kPermissionDenied);
  fv1::Owner both = dept;
  both.set_clinician("dr.wang");
  EXPECT_CODE(AssignOwner(s, Side::kReceiver, both, "", kNow), kInvalidArgument);
  EXPECT_CODE(AssignOwner(s, Side::kReceiver, fv1::Owner(), "", kNow), kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(auto taken, AssignOwner(s, Side::kReceiver, dept, "", kNow));
  ASSERT_EQ(taken.size(), 2u);  // taking it on is receiving it
  EXPECT_TRUE(taken[0].has_received());
  s = Fold(taken, s);
  EXPECT_EQ(s->status(), fv1::RECEIVED);
  EXPECT_EQ(s->owner().department(), "neurology");
  fv1::Owner wang;
  wang.set_clinician("dr.wang");
  ASSERT_OK_AND_ASSIGN(auto handed, AssignOwner(s, Side::kReceiver, wang, "night shift hand-over", kNow));
  ASSERT_EQ(handed.size(), 1u);
  EXPECT_EQ(handed[0].owner_assigned().previous().department(), "neurology");
  EXPECT_EQ(handed[0].owner_assigned().note(), "night shift hand-over");
  s = Fold(handed, s);
  EXPECT_EQ(s->owner().clinician(), "dr.wang");
  EXPECT_TRUE(s->owner().department().empty());
}

TEST_F(ReferralLifecycleTest, FailureCarriesItsCodedReasonFromTheStatesFhirAllows) {
  auto s = Ready();
  EXPECT_CODE(Fail(s, Side::kSender, fv1::REDIRECTED, "", kNow), kInvalidArgument);
  auto died = s;
  Do(died, Fail(died, Side::kSender, fv1::PATIENT_DIED, "at home", kNow));  // either side, before arrival
  EXPECT_EQ(died->status(), fv1::FAILED);
  EXPECT_EQ(died->business_status(), fv1::PATIENT_DIED);
  EXPECT_EQ(died->status_reason(), "patient-died: at home");
  Do(s, RecordArrival(s, Side::kReceiver, std::nullopt, kNow + absl::Hours(48)));
  EXPECT_CODE(Fail(s, Side::kSender, fv1::TRANSFER_FAILED, "", kNow), kPermissionDenied);  // the receiver's now
  Do(s, Fail(s, Side::kReceiver, fv1::TRANSFER_FAILED, "ambulance broke down", kNow + absl::Hours(49)));
  EXPECT_EQ(s->business_status(), fv1::TRANSFER_FAILED);
  auto accepted = Submitted();
  Do(accepted, Accept(accepted, Side::kReceiver, kNow));
  EXPECT_CODE(Fail(accepted, Side::kReceiver, fv1::NO_SHOW, "", kNow), kFailedPrecondition);  // not begun: cancel
}

TEST_F(ReferralLifecycleTest, ReschedulingMovesASlotOrAnAppointmentButNotAHeldBed) {
  auto s = Ready();
  fv1::Schedule next;
  next.set_kind(fv1::EXPERT_OUTPATIENT);
  next.set_session_id("loudi-1st/neuro/am");
  next.set_at_ms(absl::ToUnixMillis(kNow + absl::Hours(72)));
  EXPECT_CODE(Reschedule(s, Side::kReceiver, next, "", kNow), kInvalidArgument);  // the session it has
  EXPECT_CODE(Reschedule(s, Side::kSender, next, "", kNow), kPermissionDenied);
  next.set_session_id("loudi-1st/neuro/pm");
  Do(s, Reschedule(s, Side::kReceiver, next, "expert away", kNow));
  EXPECT_EQ(s->status(), fv1::READY);
  EXPECT_EQ(s->schedule().session_id(), "loudi-1st/neuro/pm");
  EXPECT_EQ(s->business_status(), fv1::SLOT_BOOKED);

  auto exam = Ready(fv1::EXAMINATION);
  fv1::Schedule later;
  later.set_kind(fv1::EXAMINATION);
  later.set_at_ms(absl::ToUnixMillis(kNow - absl::Hours(1)));
  EXPECT_CODE(Reschedule(exam, Side::kReceiver, later, "", kNow), kInvalidArgument);  // the past
  later.set_at_ms(absl::ToUnixMillis(kNow + absl::Hours(96)));
  Do(exam, Reschedule(exam, Side::kReceiver, later, "", kNow));
  EXPECT_EQ(exam->schedule().at_ms(), later.at_ms());

  auto d = Draft();
  d.set_requested_service(fv1::INPATIENT_BED);
  auto bed = Submitted(d);
  Do(bed, Accept(bed, Side::kReceiver, kNow));
  Do(bed, RequestBed(bed, Side::kReceiver, rv1::WARD_GENERAL, kNow + absl::Hours(24), kNow));
  Do(bed, AnswerBed(bed, Side::kSystem, bed->schedule().bed_request_id(), true, "", kNow));
  fv1::Schedule other;
  other.set_kind(fv1::INPATIENT_BED);
  other.set_at_ms(absl::ToUnixMillis(kNow + absl::Hours(30)));
  EXPECT_CODE(Reschedule(bed, Side::kReceiver, other, "", kNow), kFailedPrecondition);
}

TEST_F(ReferralLifecycleTest, ArrivalIsRecordedAtTheInstantGiven) {
  auto s = Ready();
  const absl::Time came = kNow + absl::Hours(47);
  EXPECT_CODE(RecordArrival(s, Side::kReceiver, came + absl::Hours(1), came), kInvalidArgument);  // the future
  EXPECT_CODE(RecordArrival(s, Side::kReceiver, kNow - absl::Hours(1), came), kInvalidArgument);  // before sending
  ASSERT_OK_AND_ASSIGN(auto arrived, RecordArrival(s, Side::kReceiver, came - absl::Minutes(40), came));
  EXPECT_EQ(arrived[0].arrived().at_ms(), absl::ToUnixMillis(came - absl::Minutes(40)));
}

TEST_F(ReferralLifecycleTest, HoldPausesWorkUnderWayAndResumeContinuesIt) {
  auto s = Ready();
  EXPECT_CODE(Hold(s, Side::kReceiver, "exam elsewhere", kNow), kFailedPrecondition);  // not begun
  Do(s, RecordArrival(s, Side::kReceiver, std::nullopt, kNow + absl::Hours(48)));
  EXPECT_CODE(Hold(s, Side::kReceiver, "", kNow), kInvalidArgument);
  EXPECT_CODE(Hold(s, Side::kSender, "x", kNow), kPermissionDenied);
  Do(s, Hold(s, Side::kReceiver, "sent to the provincial hospital for a PET-CT", kNow + absl::Hours(49)));
  EXPECT_EQ(s->status(), fv1::ON_HOLD);
  EXPECT_CODE(Complete(s, Side::kReceiver, "done", "", kNow), kFailedPrecondition);
  Do(s, Resume(s, Side::kReceiver, kNow + absl::Hours(60)));
  EXPECT_EQ(s->status(), fv1::IN_PROGRESS);
  EXPECT_TRUE(s->status_reason().empty());
}

TEST_F(ReferralLifecycleTest, NoShowAndCancelledSessionTimers) {
  auto s = Ready(fv1::EXAMINATION);
  const absl::Time due = absl::FromUnixMillis(s->schedule().at_ms()) + kNoShowGrace;
  EXPECT_EQ(NextTimer(*s), due);
  EXPECT_TRUE(DueTimers(s, due - absl::Milliseconds(1)).empty());
  auto missed = s;
  missed = Fold(DueTimers(s, due), s);
  EXPECT_EQ(missed->status(), fv1::FAILED);
  EXPECT_EQ(missed->business_status(), fv1::NO_SHOW);

  auto booked = Ready();
  EXPECT_TRUE(SessionCancelled(booked, "another-session", "x", kNow).empty());
  booked = Fold(SessionCancelled(booked, "loudi-1st/neuro/am", "expert ill", kNow), booked);
  EXPECT_EQ(booked->status(), fv1::READY);
  EXPECT_EQ(booked->business_status(), fv1::SESSION_CANCELLED);
  EXPECT_TRUE(SessionCancelled(booked, "loudi-1st/neuro/am", "again", kNow).empty());  // told once
  auto lapsed = Fold(DueTimers(booked, absl::FromUnixMillis(booked->schedule().at_ms()) + kNoShowGrace), booked);
  EXPECT_EQ(lapsed->status(), fv1::CANCELLED);  // not the patient's fault: not a no-show
  EXPECT_EQ(lapsed->business_status(), fv1::DEADLINE_EXPIRED);
}

TEST_F(ReferralLifecycleTest, EnteredInErrorIsACompensatingMarkWithWhoAndWhy) {
  auto d = Draft();
  d.set_requested_service(fv1::INPATIENT_BED);
  auto s = Submitted(d);
  Do(s, Accept(s, Side::kReceiver, kNow));
  Do(s, RequestBed(s, Side::kReceiver, rv1::WARD_GENERAL, kNow + absl::Hours(24), kNow));
  EXPECT_CODE(MarkEnteredInError(s, Side::kLead, "x", "a", "b", kNow), kPermissionDenied);
  EXPECT_CODE(MarkEnteredInError(s, Side::kSender, "", "a", "b", kNow), kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(auto marked,
                       MarkEnteredInError(s, Side::kSender, "wrong patient", "dr.li", "qiaotouhe-thc", kNow));
  ASSERT_EQ(marked.size(), 2u);  // and the bed asked for is let go
  const auto& e = marked[0].entered_in_error();
  EXPECT_EQ(e.by(), "dr.li");
  EXPECT_EQ(e.by_institution_id(), "qiaotouhe-thc");
  EXPECT_EQ(e.previous_status(), fv1::ACCEPTED);
  EXPECT_EQ(marked[1].bed_request_cancelled().request_id(), s->schedule().bed_request_id());
  s = Fold(marked, s);
  EXPECT_EQ(s->status(), fv1::ENTERED_IN_ERROR);
  EXPECT_EQ(s->status_reason(), "wrong patient");
  EXPECT_TRUE(IsTerminal(s->status()));
  EXPECT_CODE(MarkEnteredInError(s, Side::kSender, "again", "dr.li", "qiaotouhe-thc", kNow), kFailedPrecondition);
}

}  // namespace
}  // namespace yilian::domain::referral
