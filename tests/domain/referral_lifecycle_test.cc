// The referral lifecycle beyond the answer, in the core: drafts, amendments, owners, failure
// with a coded reason, rescheduling, arrival at a given instant, hold and resume, a cancelled
// session, no-show timers and entered-in-error.
#include "referral_fixture.h"
#include "yilian/common/timestamp.h"
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
    YILIAN_SET_MS(slot, at, absl::ToUnixMillis(kNow + absl::Hours(48)));
    Do(s, ScheduleAppointment(s, Side::kReceiver, slot, kNow));
    return s;
  }
  // READY on a general bed the bed board reserved for tomorrow.
  std::optional<fv1::Referral> HeldBed() {
    auto d = Draft();
    d.set_requested_service(fv1::INPATIENT_BED);
    auto bed = Submitted(d);
    Do(bed, Accept(bed, Side::kReceiver, kNow));
    Do(bed, RequestBed(bed, Side::kReceiver, rv1::WARD_GENERAL, kNow + absl::Hours(24), kNow));
    Do(bed, AnswerBed(bed, Side::kSystem, bed->schedule().bed_request_id(), true, "", kNow));
    return bed;
  }
};

TEST_F(ReferralLifecycleTest, ADraftIsCheckedKeptFromTheReceiverAndSentWithFreshDeadlines) {
  auto bad = Draft();
  bad.set_reason("");
  EXPECT_CODE(SaveDraft(std::nullopt, bad, dir_, kNow), kInvalidArgument);  // checked as a submission
  ASSERT_OK_AND_ASSIGN(auto saved, SaveDraft(std::nullopt, Draft(), dir_, kNow));
  auto s = Fold(saved);
  EXPECT_EQ(s->status(), fv1::DRAFT);
  EXPECT_EQ(common::UnixMs(s->respond_by()), 0);
  EXPECT_EQ(NextTimer(*s), absl::InfiniteFuture());
  common::Principal receiver{"dr.wang", "loudi-1st", common::Role::ROLE_CLINICIAN};
  EXPECT_CODE(SideOf(receiver, *s, dir_), kPermissionDenied);
  common::Principal sender{"dr.li", "qiaotouhe-thc", common::Role::ROLE_CLINICIAN};
  EXPECT_OK(SideOf(sender, *s, dir_).status());
  EXPECT_CODE(Send(s, Side::kReceiver, dir_, kNow), kPermissionDenied);
  const absl::Time later = kNow + absl::Hours(3);
  Do(s, Send(s, Side::kSender, dir_, later));
  EXPECT_EQ(s->status(), fv1::REQUESTED);
  EXPECT_EQ(common::UnixMs(s->submitted_at()), absl::ToUnixMillis(later));
  EXPECT_EQ(common::UnixMs(s->respond_by()), absl::ToUnixMillis(later + absl::Hours(24)));
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
  EXPECT_EQ(common::UnixMs(s->respond_by()), absl::ToUnixMillis(kNow + absl::Hours(2)));
  EXPECT_EQ(common::UnixMs(s->schedule_by()), absl::ToUnixMillis(kNow + absl::Hours(8)));
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

TEST_F(ReferralLifecycleTest, ReschedulingMovesASlotOrAnAppointment) {
  auto s = Ready();
  fv1::Schedule next;
  next.set_kind(fv1::EXPERT_OUTPATIENT);
  next.set_session_id("loudi-1st/neuro/am");
  YILIAN_SET_MS(next, at, absl::ToUnixMillis(kNow + absl::Hours(72)));
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
  YILIAN_SET_MS(later, at, absl::ToUnixMillis(kNow - absl::Hours(1)));
  EXPECT_CODE(Reschedule(exam, Side::kReceiver, later, "", kNow), kInvalidArgument);  // the past
  YILIAN_SET_MS(later, at, absl::ToUnixMillis(kNow + absl::Hours(96)));
  Do(exam, Reschedule(exam, Side::kReceiver, later, "", kNow));
  EXPECT_EQ(common::UnixMs(exam->schedule().at()), common::UnixMs(later.at()));

  EXPECT_CODE(RescheduleBed(exam, Side::kReceiver, rv1::WARD_GENERAL, kNow + absl::Hours(30), "", kNow),
              kInvalidArgument);  // an examination holds no bed
}

TEST_F(ReferralLifecycleTest, AHeldBedIsRescheduledOnlyOnceTheNewBedIsReserved) {
  auto bed = HeldBed();
  const std::string held = bed->schedule().bed_request_id();
  fv1::Schedule other;
  other.set_kind(fv1::INPATIENT_BED);
  YILIAN_SET_MS(other, at, absl::ToUnixMillis(kNow + absl::Hours(30)));
  EXPECT_CODE(Reschedule(bed, Side::kReceiver, other, "", kNow), kInvalidArgument);  // a bed asks the bed board
  EXPECT_CODE(RescheduleBed(bed, Side::kSender, rv1::WARD_GENERAL, kNow + absl::Hours(30), "", kNow),
              kPermissionDenied);
  EXPECT_CODE(RescheduleBed(bed, Side::kReceiver, rv1::WARD_GENERAL, kNow - absl::Hours(1), "", kNow),
              kInvalidArgument);  // the past
  EXPECT_CODE(RescheduleBed(bed, Side::kReceiver, rv1::WARD_KIND_UNSPECIFIED, kNow + absl::Hours(30), "", kNow),
              kInvalidArgument);

  // Declined: the bed held stays, with the decline said.
  ASSERT_OK_AND_ASSIGN(auto asked,
                       RescheduleBed(bed, Side::kReceiver, rv1::WARD_GENERAL, kNow + absl::Hours(30), "family", kNow));
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].bed_requested().replaces_request_id(), held);
  EXPECT_NE(asked[0].bed_requested().request_id(), held);  // a request of its own, even in the same millisecond
  Do(bed, asked);
  EXPECT_EQ(bed->status(), fv1::READY);
  EXPECT_EQ(bed->business_status(), fv1::BED_REQUESTED);
  EXPECT_EQ(bed->schedule().bed_request_id(), held);
  EXPECT_CODE(RescheduleBed(bed, Side::kReceiver, rv1::WARD_GENERAL, kNow + absl::Hours(31), "", kNow),
              kFailedPrecondition);  // one replacement at a time
  const auto actions = AllowedActions(*bed);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "reschedule"), 0);
  Do(bed, AnswerBed(bed, Side::kSystem, bed->rescheduling().bed_request_id(), false, "ward full", kNow));
  EXPECT_EQ(bed->business_status(), fv1::BED_RESERVED);
  EXPECT_EQ(bed->status_reason(), "new bed declined: ward full");
  EXPECT_EQ(bed->schedule().bed_request_id(), held);
  EXPECT_FALSE(bed->has_rescheduling());

  // Reserved: the new bed is the schedule and the old hold is released, in one decision.
  Do(bed,
     RescheduleBed(bed, Side::kReceiver, rv1::WARD_GENERAL, kNow + absl::Hours(30), "family", kNow + absl::Minutes(1)));
  const std::string next = bed->rescheduling().bed_request_id();
  ASSERT_OK_AND_ASSIGN(auto reserved, AnswerBed(bed, Side::kSystem, next, true, "", kNow + absl::Minutes(2)));
  ASSERT_EQ(reserved.size(), 3u);
  EXPECT_EQ(reserved[1].rescheduled().reason(), "family");
  EXPECT_EQ(reserved[2].bed_request_cancelled().request_id(), held);
  Do(bed, reserved);
  EXPECT_EQ(bed->status(), fv1::READY);
  EXPECT_EQ(bed->business_status(), fv1::BED_RESERVED);
  EXPECT_EQ(bed->schedule().bed_request_id(), next);
  EXPECT_TRUE(bed->schedule().bed_reserved());
  EXPECT_EQ(common::UnixMs(bed->schedule().at()), absl::ToUnixMillis(kNow + absl::Hours(30)));
  EXPECT_FALSE(bed->has_rescheduling());
  // A late answer to the released request changes nothing.
  ASSERT_OK_AND_ASSIGN(auto late, AnswerBed(bed, Side::kSystem, held, true, "", kNow + absl::Minutes(3)));
  EXPECT_TRUE(late.empty());

  // Cancelled while a replacement is pending: both beds are let go.
  Do(bed,
     RescheduleBed(bed, Side::kReceiver, rv1::WARD_STROKE_UNIT, kNow + absl::Hours(30), "", kNow + absl::Hours(1)));
  ASSERT_OK_AND_ASSIGN(auto cancelled,
                       Cancel(bed, Side::kSender, "patient transferred elsewhere", kNow + absl::Hours(1)));
  std::vector<std::string> released;
  for (const auto& e : cancelled)
    if (e.has_bed_request_cancelled()) released.push_back(e.bed_request_cancelled().request_id());
  EXPECT_EQ(released, (std::vector<std::string>{next, bed->rescheduling().bed_request_id()}));
}

TEST_F(ReferralLifecycleTest, ArrivalIntoAHeldBedLetsAPendingReplacementGo) {
  auto bed = HeldBed();
  Do(bed, RescheduleBed(bed, Side::kReceiver, rv1::WARD_GENERAL, kNow + absl::Hours(30), "", kNow + absl::Hours(1)));
  const std::string pending = bed->rescheduling().bed_request_id();
  ASSERT_OK_AND_ASSIGN(auto arrived, RecordArrival(bed, Side::kReceiver, std::nullopt, kNow + absl::Hours(2)));
  Do(bed, arrived);
  EXPECT_EQ(bed->status(), fv1::IN_PROGRESS);
  EXPECT_FALSE(bed->has_rescheduling());
  bool let_go = false;
  for (const auto& e : arrived) let_go |= e.bed_request_cancelled().request_id() == pending;
  EXPECT_TRUE(let_go);
  EXPECT_FALSE(bed->schedule().admission_id().empty());  // the held bed is the admission
}

TEST_F(ReferralLifecycleTest, ArrivalIsRecordedAtTheInstantGiven) {
  auto s = Ready();
  const absl::Time came = kNow + absl::Hours(47);
  EXPECT_CODE(RecordArrival(s, Side::kReceiver, came + absl::Hours(1), came), kInvalidArgument);  // the future
  EXPECT_CODE(RecordArrival(s, Side::kReceiver, kNow - absl::Hours(1), came), kInvalidArgument);  // before sending
  ASSERT_OK_AND_ASSIGN(auto arrived, RecordArrival(s, Side::kReceiver, came - absl::Minutes(40), came));
  EXPECT_EQ(common::UnixMs(arrived[0].arrived().at()), absl::ToUnixMillis(came - absl::Minutes(40)));
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
  const absl::Time due = absl::FromUnixMillis(common::UnixMs(s->schedule().at())) + kNoShowGrace;
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
  auto lapsed =
      Fold(DueTimers(booked, absl::FromUnixMillis(common::UnixMs(booked->schedule().at())) + kNoShowGrace), booked);
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
