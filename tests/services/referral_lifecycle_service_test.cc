// The referral lifecycle over gRPC on a real server: a draft only its sender sees, sent later;
// an amendment; an owner and a hand-over; a reschedule that moves the expert slot; a session
// the registry cancels telling its booked referral; a failure with its coded reason freeing
// the slot; an arrival at the instant given; hold and resume; and a referral marked
// entered-in-error, kept in the timeline with who and why.
#include <gtest/gtest.h>

#include "referral_node.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/referral/referral.h"
#include "yilian/testing/grpc_matchers.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::referral {

namespace fv1 = ::yilian::referral::v1;
namespace {

namespace rv1 = ::yilian::registry::v1;

absl::Time Utc(int month, int day, int hour) {
  return absl::FromCivil(absl::CivilHour(2026, month, day, hour), absl::UTCTimeZone());
}

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

class ReferralLifecycleServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<ReferralNode>(dir_.path(), Utc(11, 25, 0));
    node_->ImportSample(YILIAN_SAMPLE_FILE);
  }

  static fv1::Referral Draft(fv1::ServiceKind service = fv1::EXPERT_OUTPATIENT) {
    fv1::Referral r;
    r.set_direction(fv1::UPWARD);
    r.set_receiver_institution_id("loudi-1st");
    r.mutable_patient()->set_value("pt-7f3a9c");
    r.set_reason("suspected TIA, needs a neurologist");
    *r.add_diagnoses() = ::yilian::domain::referral::Icd10("G45.9");
    r.set_priority(fv1::URGENT);
    r.set_requested_service(service);
    return r;
  }
  fv1::ReferralReply Submit(const std::string& request_id, bool draft = false,
                            fv1::ServiceKind service = fv1::EXPERT_OUTPATIENT) {
    fv1::SubmitReferralRequest req;
    *req.mutable_referral() = Draft(service);
    req.set_request_id(request_id);
    req.set_draft(draft);
    fv1::ReferralReply out;
    EXPECT_GRPC(node_->stub->Submit(ReferralNode::As("qiaotouhe-doc").get(), req, &out), OK);
    return out;
  }
  template <typename Request>
  Request For(const fv1::ReferralReply& r, const std::string& request_id) {
    Request req;
    req.set_referral_id(r.referral().referral_id());
    req.set_request_id(request_id);
    return req;
  }
  // Accepted by loudi-1st and booked in `session`.
  fv1::ReferralReply Booked(const std::string& tag, const std::string& session) {
    auto r = Submit("submit-" + tag);
    fv1::ReferralReply out;
    EXPECT_GRPC(node_->stub->Accept(ReferralNode::As("loudi-doc").get(),
                                    For<fv1::AcceptReferralRequest>(r, "accept-" + tag), &out),
                OK);
    auto sr = For<fv1::ScheduleReferralRequest>(r, "book-" + tag);
    sr.set_session_id(session);
    EXPECT_GRPC(node_->stub->Schedule(ReferralNode::As("loudi-doc").get(), sr, &out), OK);
    EXPECT_EQ(out.referral().status(), fv1::READY);
    return out;
  }
  // How many slots of `session` are booked (the service's own projection).
  int BookedIn(const std::string& session) {
    auto b = node_->stack->view().Bookings(session);
    EXPECT_OK(b.status());
    return b.ok() ? b->bookings_size() : -1;
  }
  fv1::GetReferralResponse Get(const std::string& token, const std::string& id) {
    fv1::GetReferralRequest g;
    g.set_referral_id(id);
    fv1::GetReferralResponse out;
    EXPECT_GRPC(node_->stub->GetReferral(ReferralNode::As(token).get(), g, &out), OK);
    return out;
  }
  // A second neurology session at loudi-1st, published in the registry and synced.
  void PublishSession(const std::string& id, const std::string& date) {
    rv1::PublishExpertSessionRequest p;
    auto* s = p.mutable_session();
    s->set_session_id(id);
    s->set_institution_id("loudi-1st");
    s->set_expert_id("dr-liu");
    s->set_expert_name("Liu");
    s->set_department("neurology");
    s->set_slot_count(10);
    absl::CivilDay day;
    ASSERT_TRUE(absl::ParseCivilTime(date, &day));
    s->mutable_starts_at()->set_seconds(absl::ToUnixSeconds(
        absl::FromCivil(absl::CivilHour(day.year(), day.month(), day.day(), 8), absl::FixedTimeZone(8 * 3600))));
    s->mutable_ends_at()->set_seconds(s->starts_at().seconds() + 4 * 3600);
    s->mutable_release_cutoff()->set_seconds(
        absl::ToUnixSeconds(absl::FromCivil(day - 1, absl::FixedTimeZone(8 * 3600))));
    p.set_request_id("publish-" + id);
    rv1::ExpertSessionReply out;
    ASSERT_GRPC(node_->registry.stub->PublishExpertSession(ReferralNode::As("admin").get(), p, &out), OK);
    node_->Sync();
  }

  testing::TempDir dir_;
  std::unique_ptr<ReferralNode> node_;
};

TEST_F(ReferralLifecycleServiceTest, ADraftIsTheSendersUntilItIsSent) {
  auto d = Submit("draft-1", /*draft=*/true);
  EXPECT_EQ(d.referral().status(), fv1::DRAFT);
  EXPECT_EQ(common::UnixMs(d.referral().respond_by()), 0);
  fv1::GetReferralRequest g;
  g.set_referral_id(d.referral().referral_id());
  fv1::GetReferralResponse got;
  EXPECT_GRPC(node_->stub->GetReferral(ReferralNode::As("loudi-doc").get(), g, &got), PERMISSION_DENIED);
  fv1::ListWorklistResponse incoming;
  ASSERT_GRPC(node_->stub->ListIncoming(ReferralNode::As("loudi-doc").get(), fv1::ListWorklistRequest(), &incoming),
              OK);
  EXPECT_EQ(incoming.referrals_size(), 0);
  fv1::ListWorklistRequest drafts;
  drafts.set_status(fv1::DRAFT);
  fv1::ListWorklistResponse outgoing;
  ASSERT_GRPC(node_->stub->ListOutgoing(ReferralNode::As("qiaotouhe-doc").get(), drafts, &outgoing), OK);
  ASSERT_EQ(outgoing.referrals_size(), 1);

  auto amend = For<fv1::AmendReferralRequest>(d, "amend-1");
  amend.mutable_changes()->set_notes("BP 165/100 this morning");
  amend.mutable_update_mask()->add_paths("notes");
  fv1::ReferralReply out;
  EXPECT_GRPC(node_->stub->Amend(ReferralNode::As("loudi-doc").get(), amend, &out), PERMISSION_DENIED);
  ASSERT_GRPC(node_->stub->Amend(ReferralNode::As("qiaotouhe-doc").get(), amend, &out), OK);
  EXPECT_EQ(out.referral().notes(), "BP 165/100 this morning");
  EXPECT_EQ(out.referral().status(), fv1::DRAFT);

  node_->clock.Advance(absl::Hours(2));
  ASSERT_GRPC(
      node_->stub->Send(ReferralNode::As("qiaotouhe-doc").get(), For<fv1::SendReferralRequest>(d, "send-1"), &out), OK);
  EXPECT_EQ(out.referral().status(), fv1::REQUESTED);
  EXPECT_EQ(common::UnixMs(out.referral().respond_by()), absl::ToUnixMillis(node_->clock.Now() + absl::Hours(24)));
  ASSERT_GRPC(node_->stub->ListIncoming(ReferralNode::As("loudi-doc").get(), fv1::ListWorklistRequest(), &incoming),
              OK);
  EXPECT_EQ(incoming.referrals_size(), 1);
  auto seen = Get("loudi-doc", d.referral().referral_id());
  EXPECT_EQ(seen.referral().referral().notes(), "BP 165/100 this morning");
  // A retried send answers as the first did and writes nothing.
  fv1::ReferralReply again;
  ASSERT_GRPC(
      node_->stub->Send(ReferralNode::As("qiaotouhe-doc").get(), For<fv1::SendReferralRequest>(d, "send-1"), &again),
      OK);
  EXPECT_EQ(again.version(), out.version());
}

TEST_F(ReferralLifecycleServiceTest, TheReceiverAssignsAnOwnerAndHandsOver) {
  auto r = Submit("owner-1");
  auto a = For<fv1::AssignOwnerRequest>(r, "own-1");
  a.mutable_owner()->set_department("neurology");
  fv1::ReferralReply out;
  EXPECT_GRPC(node_->stub->AssignOwner(ReferralNode::As("qiaotouhe-doc").get(), a, &out), PERMISSION_DENIED);
  ASSERT_GRPC(node_->stub->AssignOwner(ReferralNode::As("loudi-office").get(), a, &out), OK);
  EXPECT_EQ(out.referral().status(), fv1::RECEIVED);
  EXPECT_EQ(out.referral().owner().department(), "neurology");
  auto h = For<fv1::AssignOwnerRequest>(r, "own-2");
  h.mutable_owner()->set_clinician("dr@loudi-1st");
  h.set_note("night shift hand-over");
  ASSERT_GRPC(node_->stub->AssignOwner(ReferralNode::As("loudi-office").get(), h, &out), OK);
  EXPECT_EQ(out.referral().owner().clinician(), "dr@loudi-1st");
  auto t = Get("qiaotouhe-doc", r.referral().referral_id()).timeline();
  ASSERT_FALSE(t.empty());
  EXPECT_EQ(t.rbegin()->event_type(), "OwnerAssigned");
}

TEST_F(ReferralLifecycleServiceTest, RescheduleMovesTheSlotAndACancelledSessionTellsItsReferral) {
  PublishSession("loudi-neuro-2026-12-10-am", "2026-12-10");
  auto r = Booked("m", "loudi-neuro-2026-12-03-am");
  EXPECT_EQ(BookedIn("loudi-neuro-2026-12-03-am"), 1);
  auto rs = For<fv1::RescheduleReferralRequest>(r, "move-1");
  rs.set_session_id("loudi-neuro-2026-12-10-am");
  rs.set_reason("the patient is away that week");
  fv1::ReferralReply out;
  EXPECT_GRPC(node_->stub->Reschedule(ReferralNode::As("qiaotouhe-doc").get(), rs, &out), PERMISSION_DENIED);
  ASSERT_GRPC(node_->stub->Reschedule(ReferralNode::As("loudi-doc").get(), rs, &out), OK);
  EXPECT_EQ(out.referral().status(), fv1::READY);
  EXPECT_EQ(out.referral().schedule().session_id(), "loudi-neuro-2026-12-10-am");
  EXPECT_EQ(BookedIn("loudi-neuro-2026-12-03-am"), 0);  // freed in the same transaction
  EXPECT_EQ(BookedIn("loudi-neuro-2026-12-10-am"), 1);

  // The registry cancels the new session: the referral booked in it is told, the slot freed.
  rv1::CancelExpertSessionRequest c;
  c.set_session_id("loudi-neuro-2026-12-10-am");
  c.set_reason("Dr Liu at a conference");
  c.set_request_id("cancel-session");
  rv1::ExpertSessionReply cancelled;
  ASSERT_GRPC(node_->registry.stub->CancelExpertSession(ReferralNode::As("admin").get(), c, &cancelled), OK);
  node_->Sync();
  auto now = Get("loudi-doc", r.referral().referral_id()).referral();
  EXPECT_EQ(now.referral().status(), fv1::READY);
  EXPECT_EQ(now.referral().business_status(), fv1::SESSION_CANCELLED);
  EXPECT_NE(now.referral().status_reason().find("conference"), std::string::npos);
  EXPECT_EQ(BookedIn("loudi-neuro-2026-12-10-am"), 0);
  // Rescheduled back into a live session, it is booked again.
  auto back = For<fv1::RescheduleReferralRequest>(now, "move-2");
  back.set_session_id("loudi-neuro-2026-12-03-am");
  ASSERT_GRPC(node_->stub->Reschedule(ReferralNode::As("loudi-doc").get(), back, &out), OK);
  EXPECT_EQ(out.referral().business_status(), fv1::SLOT_BOOKED);
  EXPECT_EQ(BookedIn("loudi-neuro-2026-12-03-am"), 1);
}

TEST_F(ReferralLifecycleServiceTest, FailureAndEnteredInErrorFreeTheSlot) {
  auto r = Booked("f", "loudi-neuro-2026-12-03-am");
  auto f = For<fv1::FailReferralRequest>(r, "fail-1");
  f.set_reason(fv1::REDIRECTED);
  fv1::ReferralReply out;
  EXPECT_GRPC(node_->stub->Fail(ReferralNode::As("loudi-doc").get(), f, &out), INVALID_ARGUMENT);
  f.set_reason(fv1::PATIENT_DECLINED);
  f.set_note("prefers the county hospital");
  ASSERT_GRPC(node_->stub->Fail(ReferralNode::As("qiaotouhe-doc").get(), f, &out), OK);  // the sender, while ready
  EXPECT_EQ(out.referral().status(), fv1::FAILED);
  EXPECT_EQ(out.referral().business_status(), fv1::PATIENT_DECLINED);
  EXPECT_EQ(BookedIn("loudi-neuro-2026-12-03-am"), 0);

  auto wrong = Booked("e", "loudi-neuro-2026-12-03-am");
  EXPECT_EQ(BookedIn("loudi-neuro-2026-12-03-am"), 1);
  auto e = For<fv1::MarkEnteredInErrorRequest>(wrong, "eie-1");
  EXPECT_GRPC(node_->stub->MarkEnteredInError(ReferralNode::As("qiaotouhe-doc").get(), e, &out), INVALID_ARGUMENT);
  e.set_reason("entered for the wrong patient");
  EXPECT_GRPC(node_->stub->MarkEnteredInError(ReferralNode::As("xiangya-doc").get(), e, &out), PERMISSION_DENIED);
  ASSERT_GRPC(node_->stub->MarkEnteredInError(ReferralNode::As("qiaotouhe-doc").get(), e, &out), OK);
  EXPECT_EQ(out.referral().status(), fv1::ENTERED_IN_ERROR);
  EXPECT_EQ(BookedIn("loudi-neuro-2026-12-03-am"), 0);
  EXPECT_EQ(std::vector<std::string>(out.allowed_actions().begin(), out.allowed_actions().end()),
            std::vector<std::string>{});
  auto got = Get("loudi-doc", wrong.referral().referral_id());
  const auto& last = *got.timeline().rbegin();
  EXPECT_EQ(last.event_type(), "ReferralEnteredInError");  // kept, with who
  EXPECT_EQ(last.actor(), "dr@qiaotouhe-thc");
  EXPECT_EQ(last.actor_institution_id(), "qiaotouhe-thc");
}

TEST_F(ReferralLifecycleServiceTest, ArrivalAtTheInstantGivenThenHoldAndResume) {
  auto r = Booked("a", "loudi-neuro-2026-12-03-am");
  node_->clock.Advance(absl::Hours(5));
  auto arrive = For<fv1::RecordArrivalRequest>(r, "arrive-1");
  *arrive.mutable_arrived_at() = Ts(node_->clock.Now() + absl::Hours(1));
  fv1::ReferralReply out;
  EXPECT_GRPC(node_->stub->RecordArrival(ReferralNode::As("loudi-doc").get(), arrive, &out), INVALID_ARGUMENT);
  arrive.mutable_arrived_at()->set_nanos(-1);
  EXPECT_GRPC(node_->stub->RecordArrival(ReferralNode::As("loudi-doc").get(), arrive, &out), INVALID_ARGUMENT);
  const absl::Time came = node_->clock.Now() - absl::Minutes(50);
  *arrive.mutable_arrived_at() = Ts(came);
  arrive.set_request_id("arrive-2");
  ASSERT_GRPC(node_->stub->RecordArrival(ReferralNode::As("loudi-doc").get(), arrive, &out), OK);
  EXPECT_EQ(out.referral().status(), fv1::IN_PROGRESS);
  EXPECT_EQ(BookedIn("loudi-neuro-2026-12-03-am"), 1);  // the slot is used, not freed
  auto t = Get("loudi-doc", r.referral().referral_id()).timeline();
  EXPECT_EQ(t.rbegin()->event_type(), "PatientArrived");

  auto hold = For<fv1::HoldReferralRequest>(out, "hold-1");
  hold.set_reason("sent to the provincial hospital for a PET-CT");
  ASSERT_GRPC(node_->stub->Hold(ReferralNode::As("loudi-doc").get(), hold, &out), OK);
  EXPECT_EQ(out.referral().status(), fv1::ON_HOLD);
  auto done = For<fv1::CompleteReferralRequest>(out, "done-early");
  done.set_outcome_summary("x");
  EXPECT_GRPC(node_->stub->Complete(ReferralNode::As("loudi-doc").get(), done, &out), FAILED_PRECONDITION);
  ASSERT_GRPC(
      node_->stub->Resume(ReferralNode::As("loudi-doc").get(), For<fv1::ResumeReferralRequest>(r, "resume-1"), &out),
      OK);
  EXPECT_EQ(out.referral().status(), fv1::IN_PROGRESS);
}

}  // namespace
}  // namespace yilian::referral
