// The referral core: submission rules (direction, tier, consortium, capability), routing by
// capability, every transition and who may make it, the bed saga, the deadline timers and
// mutual recognition of exam results.
#include <gtest/gtest.h>

#include <map>

#include "google/protobuf/descriptor.h"
#include "referral_fixture.h"
#include "yilian/common/problem.h"
#include "yilian/common/timestamp.h"
#include "yilian/referral/v1/referral_service.pb.h"

namespace yilian::domain::referral {

namespace {

TEST_F(ReferralCoreTest, AnUpwardReferralIsRequestedWithItsPriorityDeadlines) {
  auto s = Submitted();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status(), fv1::REQUESTED);
  EXPECT_EQ(common::UnixMs(s->respond_by()), absl::ToUnixMillis(kNow + absl::Hours(24)));
  EXPECT_EQ(common::UnixMs(s->schedule_by()), absl::ToUnixMillis(kNow + absl::Hours(72)));
  auto stat = Draft();
  stat.set_priority(fv1::STAT);
  auto e = Submit(std::nullopt, stat, dir_, kNow);
  ASSERT_OK(e.status());
  EXPECT_EQ(common::UnixMs(Fold(*e)->respond_by()), absl::ToUnixMillis(kNow + absl::Minutes(15)));
  EXPECT_CODE(Submit(s, Draft(), dir_, kNow), kAlreadyExists);
}

TEST_F(ReferralCoreTest, DiagnosesAndExamsAreCodedWithTheirSystem) {
  auto d = Draft();
  d.mutable_diagnoses(0)->clear_system();
  auto refused = Submit(std::nullopt, d, dir_, kNow);
  EXPECT_CODE(refused.status(), kInvalidArgument);
  EXPECT_EQ(common::ProblemOf(refused.status()).field(), "diagnoses[0].system");
  d = Draft();
  d.mutable_diagnoses(0)->set_code(std::string(40, 'X'));
  EXPECT_EQ(common::ProblemOf(Submit(std::nullopt, d, dir_, kNow).status()).field(), "diagnoses[0].code");
  d = Draft();
  auto* ct = d.add_exam_results();
  ct->set_kind(fv1::CT);
  ct->set_result_id("ct-1");
  ct->set_performing_institution_id("loudi-1st");
  YILIAN_SET_MS(*ct, performed_at, absl::ToUnixMillis(kNow - absl::Hours(2)));
  ct->mutable_code()->set_code("24627-2");  // LOINC "Chest CT", but no system
  EXPECT_EQ(common::ProblemOf(Submit(std::nullopt, d, dir_, kNow).status()).field(), "exam_results[0].code.system");
  ct->mutable_code()->set_system("http://loinc.org");
  auto s = Submitted(d);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->diagnoses(0).system(), kIcd10);
  EXPECT_EQ(s->exam_results(0).code().code(), "24627-2");
}

TEST_F(ReferralCoreTest, DirectionTierConsortiumAndCapabilityRules) {
  EXPECT_CODE(Submit(std::nullopt, Draft("loudi-1st", "lianyuan-county"), dir_, kNow),
              kFailedPrecondition);  // up to lower
  EXPECT_CODE(Submit(std::nullopt, Draft("qiaotouhe-thc", "dutoutang-thc"), dir_, kNow),
              kFailedPrecondition);  // same tier
  auto rehab = Draft("qiaotouhe-thc", "dutoutang-thc");
  rehab.mutable_routing()->set_capability(rv1::REHABILITATION);  // same tier, a capability the sender lacks
  EXPECT_OK(Submit(std::nullopt, rehab, dir_, kNow).status());
  EXPECT_OK(Submit(std::nullopt, Draft("loudi-1st", "dutoutang-thc", fv1::DOWNWARD), dir_, kNow).status());
  EXPECT_CODE(Submit(std::nullopt, Draft("qiaotouhe-thc", "loudi-1st", fv1::DOWNWARD), dir_, kNow),
              kFailedPrecondition);
  EXPECT_CODE(Submit(std::nullopt, Draft("qiaotouhe-thc", "xiangya-3rd"), dir_, kNow), kFailedPrecondition);
  auto cross = Draft("qiaotouhe-thc", "xiangya-3rd");
  cross.set_cross_consortium(true);
  EXPECT_OK(Submit(std::nullopt, cross, dir_, kNow).status());
  auto incapable = Draft("qiaotouhe-thc", "lianyuan-county");
  incapable.mutable_routing()->set_capability(rv1::STROKE_CENTRE);
  EXPECT_CODE(Submit(std::nullopt, incapable, dir_, kNow), kFailedPrecondition);
  EXPECT_CODE(Submit(std::nullopt, Draft("qiaotouhe-thc", "closed-county"), dir_, kNow), kFailedPrecondition);
  EXPECT_CODE(Submit(std::nullopt, Draft("nowhere", "loudi-1st"), dir_, kNow), kNotFound);
  EXPECT_CODE(Submit(std::nullopt, Draft("qiaotouhe-thc", "nowhere"), dir_, kNow), kNotFound);
  EXPECT_CODE(Submit(std::nullopt, Draft("qiaotouhe-thc", "qiaotouhe-thc"), dir_, kNow), kInvalidArgument);
}

TEST_F(ReferralCoreTest, MalformedSubmissionsAreRefused) {
  auto d = Draft();
  d.mutable_patient()->set_value("13800138000");  // a phone number is not a pseudonymous reference
  EXPECT_CODE(Submit(std::nullopt, d, dir_, kNow), kInvalidArgument);
  d = Draft();
  d.clear_reason();
  EXPECT_CODE(Submit(std::nullopt, d, dir_, kNow), kInvalidArgument);
  d = Draft();
  d.set_priority(fv1::PRIORITY_UNSPECIFIED);
  EXPECT_CODE(Submit(std::nullopt, d, dir_, kNow), kInvalidArgument);
  d = Draft();
  d.set_requested_service(static_cast<fv1::ServiceKind>(99));
  EXPECT_CODE(Submit(std::nullopt, d, dir_, kNow), kInvalidArgument);
  d = Draft();
  d.set_direction(fv1::DIRECTION_UNSPECIFIED);
  EXPECT_CODE(Submit(std::nullopt, d, dir_, kNow), kInvalidArgument);
  d = Draft();
  d.clear_receiver_institution_id();  // neither receiver nor capability
  EXPECT_CODE(Submit(std::nullopt, d, dir_, kNow), kInvalidArgument);
  d = Draft();
  auto* x = d.add_exam_results();
  x->set_kind(fv1::CT);
  x->set_result_id("ct-1");
  x->set_performing_institution_id("loudi-1st");
  YILIAN_SET_MS(*x, performed_at, absl::ToUnixMillis(kNow + absl::Hours(1)));  // in the future
  EXPECT_CODE(Submit(std::nullopt, d, dir_, kNow), kInvalidArgument);
  d = Draft();
  d.set_status(fv1::ACCEPTED);
  EXPECT_CODE(Submit(std::nullopt, d, dir_, kNow), kInvalidArgument);
}

// A message naming the field and its bound, quoting no more than a short prefix of the input.
void ExpectBound(const absl::Status& s, const std::string& field, const std::string& bound) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find(field), std::string::npos) << s;
  EXPECT_NE(s.message().find(bound), std::string::npos) << s;
  EXPECT_LT(s.message().size(), 200u) << "an error quotes a short prefix at most";
}

TEST_F(ReferralCoreTest, EveryFieldHasABoundNamedInTheRefusal) {
  const std::string huge(1 << 20, 'x');
  auto d = Draft();
  d.set_linked_from(huge);
  ExpectBound(Submit(std::nullopt, d, dir_, kNow).status(), "linked_from", "128");
  d = Draft();
  d.set_receiver_institution_id(huge);
  ExpectBound(Submit(std::nullopt, d, dir_, kNow).status(), "receiver_institution_id", "128");
  d = Draft();
  d.mutable_routing()->set_reason(huge);  // routing's choice and reason are the service's to write
  EXPECT_CODE(Submit(std::nullopt, d, dir_, kNow), kInvalidArgument);
  d = Draft();
  auto* r = d.add_exam_results();
  r->set_kind(fv1::CT);
  r->set_result_id(huge);
  r->set_performing_institution_id("loudi-1st");
  YILIAN_SET_MS(*r, performed_at, absl::ToUnixMillis(kNow - absl::Hours(1)));
  ExpectBound(Submit(std::nullopt, d, dir_, kNow).status(), "result_id", "128");

  auto s = Submitted();
  Do(s, RequestInformation(s, Side::kReceiver, "which CT?", kNow));
  std::vector<fv1::ExamResultRef> results(51);
  for (auto& x : results) {
    x.set_kind(fv1::CT);
    x.set_result_id("ct-1");
    x.set_performing_institution_id("loudi-1st");
    YILIAN_SET_MS(x, performed_at, absl::ToUnixMillis(kNow - absl::Hours(1)));
  }
  ExpectBound(SupplyInformation(s, Side::kSender, "here", results, kNow).status(), "exam_results", "50");
  EXPECT_CODE(RequestBed(Submitted(), Side::kReceiver, rv1::WARD_ICU, absl::FromUnixMillis(int64_t{1} << 62), kNow),
              kInvalidArgument);
  results.resize(1);
  results[0].set_performing_institution_id(huge);
  ExpectBound(SupplyInformation(s, Side::kSender, "here", results, kNow).status(), "performing_institution_id", "128");
}

TEST_F(ReferralCoreTest, RoutingByCapabilityPrefersTheLeadForSpecialistCentresElseTheNearest) {
  auto d = Draft();
  d.clear_receiver_institution_id();
  d.mutable_routing()->set_capability(rv1::STROKE_CENTRE);
  auto s = Submitted(d);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->receiver_institution_id(), "loudi-1st");
  EXPECT_NE(s->routing().reason().find("lead"), std::string::npos) << s->routing().reason();
  d.mutable_routing()->set_capability(rv1::NEUROLOGY);
  s = Submitted(d);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->receiver_institution_id(), "lianyuan-county");  // nearer than the lead; the closed one is skipped
  EXPECT_NE(s->routing().reason().find("nearest"), std::string::npos) << s->routing().reason();
  d.mutable_routing()->set_capability(rv1::TRAUMA_CENTRE);
  EXPECT_CODE(Submit(std::nullopt, d, dir_, kNow), kFailedPrecondition);
}

TEST_F(ReferralCoreTest, TheReceiverWorksItThroughToCompletion) {
  auto s = Submitted();
  EXPECT_CODE(Accept(s, Side::kSender, kNow), kPermissionDenied);
  Do(s, Acknowledge(s, Side::kReceiver, kNow));
  EXPECT_EQ(s->status(), fv1::RECEIVED);
  EXPECT_CODE(Acknowledge(s, Side::kReceiver, kNow), kFailedPrecondition);
  Do(s, Accept(s, Side::kReceiver, kNow));
  EXPECT_EQ(s->status(), fv1::ACCEPTED);
  auto wrong = RecordArrival(s, Side::kReceiver, std::nullopt, kNow);
  ASSERT_EQ(wrong.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(wrong.status().message().find(
                "it is accepted; allowed now: schedule, assign-owner, cancel, redirect, mark-entered-in-error"),
            std::string::npos)
      << wrong.status().message();
  fv1::Schedule slot;
  slot.set_kind(fv1::EXPERT_OUTPATIENT);
  slot.set_session_id("loudi-1st/neuro/2026-11-25/am");
  slot.set_reserved_slot(true);
  YILIAN_SET_MS(slot, at, absl::ToUnixMillis(kNow + absl::Hours(48)));
  EXPECT_CODE(ScheduleAppointment(s, Side::kSender, slot, kNow), kPermissionDenied);
  Do(s, ScheduleAppointment(s, Side::kReceiver, slot, kNow));
  EXPECT_EQ(s->status(), fv1::READY);
  EXPECT_EQ(s->business_status(), fv1::SLOT_BOOKED);
  EXPECT_TRUE(s->schedule().reserved_slot());
  Do(s, RecordArrival(s, Side::kReceiver, std::nullopt, kNow + absl::Hours(48)));
  EXPECT_EQ(s->status(), fv1::IN_PROGRESS);
  EXPECT_CODE(Cancel(s, Side::kSender, "changed mind", kNow), kFailedPrecondition);
  EXPECT_CODE(Complete(s, Side::kReceiver, "", "", kNow), kInvalidArgument);
  Do(s, Complete(s, Side::kReceiver, "TIA ruled out; follow-up in community", "ref-2", kNow + absl::Hours(50)));
  EXPECT_EQ(s->status(), fv1::COMPLETED);
  EXPECT_EQ(s->linked_to(), "ref-2");
  EXPECT_EQ(AllowedActions(*s), std::vector<std::string>{"mark-entered-in-error"});
  EXPECT_CODE(Fail(s, Side::kReceiver, fv1::TRANSFER_FAILED, "x", kNow), kFailedPrecondition);
}

TEST_F(ReferralCoreTest, InformationRejectionAndRedirect) {
  auto s = Submitted();
  Do(s, RequestInformation(s, Side::kReceiver, "latest CT?", kNow));  // implies receipt
  EXPECT_EQ(s->status(), fv1::RECEIVED);
  EXPECT_EQ(s->business_status(), fv1::AWAITING_INFORMATION);
  EXPECT_EQ(s->status_reason(), "latest CT?");
  EXPECT_CODE(RequestInformation(s, Side::kReceiver, "and the ECG?", kNow), kFailedPrecondition);  // one at a time
  fv1::ExamResultRef ct;
  ct.set_kind(fv1::CT);
  ct.set_result_id("ct-7");
  ct.set_performing_institution_id("lianyuan-county");
  YILIAN_SET_MS(ct, performed_at, absl::ToUnixMillis(kNow - absl::Hours(24)));
  EXPECT_CODE(SupplyInformation(s, Side::kReceiver, "here", {ct}, kNow), kPermissionDenied);
  Do(s, SupplyInformation(s, Side::kSender, "attached", {ct}, kNow));
  EXPECT_EQ(s->status(), fv1::RECEIVED);
  EXPECT_EQ(s->business_status(), fv1::INFORMATION_SUPPLIED);
  EXPECT_CODE(SupplyInformation(s, Side::kSender, "again", {}, kNow), kFailedPrecondition);
  EXPECT_EQ(s->exam_results_size(), 1);
  EXPECT_CODE(Reject(s, Side::kReceiver, "", "", kNow), kInvalidArgument);
  auto rejected = s;
  Do(rejected, Reject(s, Side::kReceiver, "not-indicated", "manage in primary care with aspirin", kNow));
  EXPECT_EQ(rejected->status(), fv1::REJECTED);
  EXPECT_EQ(rejected->advice(), "manage in primary care with aspirin");

  EXPECT_CODE(Redirect(s, Side::kReceiver, "ref-1b", "loudi-1st", "x", kNow), kInvalidArgument);
  EXPECT_CODE(Redirect(s, Side::kSystem, "ref-1b", "lianyuan-county", "x", kNow), kPermissionDenied);
  Do(s, Redirect(s, Side::kLead, "ref-1b", "lianyuan-county", "neurology clinic closer to home", kNow));
  EXPECT_EQ(s->status(), fv1::CANCELLED);
  EXPECT_EQ(s->business_status(), fv1::REDIRECTED);
  EXPECT_EQ(s->linked_to(), "ref-1b");
}

TEST_F(ReferralCoreTest, TheBedSagaAsksReservesAdmitsAndReleases) {
  auto d = Draft();
  d.set_requested_service(fv1::INPATIENT_BED);
  auto s = Submitted(d);
  Do(s, Accept(s, Side::kReceiver, kNow));
  EXPECT_CODE(RequestBed(s, Side::kReceiver, rv1::WARD_GENERAL, kNow - absl::Hours(1), kNow), kInvalidArgument);
  auto asked = RequestBed(s, Side::kReceiver, rv1::WARD_GENERAL, kNow + absl::Hours(24), kNow);
  ASSERT_OK(asked.status());
  ASSERT_EQ(asked->size(), 1u);
  const auto& req = (*asked)[0].bed_requested();
  EXPECT_EQ(req.institution_id(), "loudi-1st");
  EXPECT_EQ(req.ward_kind(), rv1::WARD_GENERAL);
  EXPECT_EQ(common::UnixMs(req.hold_until()), absl::ToUnixMillis(kNow + absl::Hours(24)));
  s = Fold(*asked, s);
  EXPECT_EQ(s->status(), fv1::ACCEPTED);
  EXPECT_EQ(s->business_status(), fv1::BED_REQUESTED);  // the pending answer, visible as state
  EXPECT_CODE(RequestBed(s, Side::kReceiver, rv1::WARD_GENERAL, kNow + absl::Hours(24), kNow), kFailedPrecondition);
  EXPECT_CODE(AnswerBed(s, Side::kReceiver, req.request_id(), true, "", kNow), kPermissionDenied);
  // Declined: back to accepted with the reason; ask again; reserved: scheduled.
  Do(s, AnswerBed(s, Side::kSystem, req.request_id(), false, "no free bed", kNow));
  EXPECT_EQ(s->status(), fv1::ACCEPTED);
  EXPECT_EQ(s->status_reason(), "bed declined: no free bed");
  EXPECT_EQ(s->business_status(), fv1::BED_DECLINED);
  auto again = RequestBed(s, Side::kReceiver, rv1::WARD_GENERAL, kNow + absl::Hours(30), kNow + absl::Minutes(1));
  ASSERT_OK(again.status());
  s = Fold(*again, s);
  const std::string second = (*again)[0].bed_requested().request_id();
  ASSERT_OK_AND_ASSIGN(auto stale, AnswerBed(s, Side::kSystem, req.request_id(), true, "", kNow));
  EXPECT_TRUE(stale.empty());  // an answer to the old request changes nothing
  Do(s, AnswerBed(s, Side::kSystem, second, true, "", kNow));
  EXPECT_EQ(s->status(), fv1::READY);
  EXPECT_EQ(s->business_status(), fv1::BED_RESERVED);
  EXPECT_TRUE(s->schedule().bed_reserved());

  auto cancelled = Cancel(s, Side::kSender, "patient moved", kNow);
  ASSERT_OK(cancelled.status());
  ASSERT_EQ(cancelled->size(), 2u);
  EXPECT_EQ((*cancelled)[1].bed_request_cancelled().request_id(), second);

  ASSERT_OK_AND_ASSIGN(auto arrived, RecordArrival(s, Side::kReceiver, std::nullopt, kNow + absl::Hours(30)));
  ASSERT_EQ(arrived.size(), 2u);
  EXPECT_TRUE(arrived[0].has_arrived());
  EXPECT_EQ(arrived[1].patient_admitted().request_id(), second);
}

TEST_F(ReferralCoreTest, DeadlinesEscalateUnansweredReferralsAndExpireUnscheduledOnes) {
  auto d = Draft();
  d.set_priority(fv1::STAT);  // answer within 15 min, schedule within 1 h
  auto s = Submitted(d);
  const absl::Time respond_by = absl::FromUnixMillis(common::UnixMs(s->respond_by()));
  EXPECT_EQ(NextTimer(*s), respond_by);
  EXPECT_TRUE(DueTimers(s, respond_by - absl::Milliseconds(1)).empty());
  auto first = DueTimers(s, respond_by);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].escalated().level(), 1);
  s = Fold(first, s);
  EXPECT_EQ(s->business_status(), fv1::ESCALATED_TO_RECEIVER_OFFICE);
  EXPECT_EQ(NextTimer(*s), respond_by + absl::Minutes(15));
  auto second = DueTimers(s, respond_by + absl::Minutes(15));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].escalated().level(), 2);
  EXPECT_EQ(second[0].escalated().to(), "consortium lead hospital");
  s = Fold(second, s);
  EXPECT_EQ(NextTimer(*s), absl::FromUnixMillis(common::UnixMs(s->schedule_by())));
  Do(s, Accept(s, Side::kReceiver, respond_by + absl::Minutes(20)));
  auto expired = DueTimers(s, absl::FromUnixMillis(common::UnixMs(s->schedule_by())));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].cancelled().reason(), "not scheduled by its deadline");
  s = Fold(expired, s);
  EXPECT_EQ(s->status(), fv1::CANCELLED);  // FHIR: accepted -> cancelled (failed is for begun work)
  EXPECT_EQ(s->business_status(), fv1::DEADLINE_EXPIRED);
  EXPECT_TRUE(DueTimers(s, absl::InfiniteFuture()).empty());
  EXPECT_EQ(NextTimer(*s), absl::InfiniteFuture());

  // A late check catches up on both escalation levels at once.
  auto late = Submitted(d);
  EXPECT_EQ(DueTimers(late, respond_by + absl::Minutes(16)).size(), 2u);
}

TEST_F(ReferralCoreTest, ExamResultsAreRecognisedInsideTheConsortiumWithinTheirValidity) {
  auto d = Draft("qiaotouhe-thc", "lianyuan-county");
  auto add = [&](fv1::ExamKind kind, const std::string& where, absl::Duration ago) {
    auto* x = d.add_exam_results();
    x->set_kind(kind);
    x->set_result_id(absl::StrCat(fv1::ExamKind_Name(kind), "-", where));
    x->set_performing_institution_id(where);
    YILIAN_SET_MS(*x, performed_at, absl::ToUnixMillis(kNow - ago));
  };
  add(fv1::CT, "loudi-1st", absl::Hours(10 * 24));
  add(fv1::LAB_ROUTINE, "loudi-1st", absl::Hours(10 * 24));
  add(fv1::MRI, "xiangya-3rd", absl::Hours(24));
  auto s = Submitted(d);
  ASSERT_TRUE(s);
  auto r = RecogniseExams(*s, dir_, kNow);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_TRUE(r[0].recognised()) << r[0].reason();
  EXPECT_FALSE(r[1].recognised());
  EXPECT_NE(r[1].reason().find("expired"), std::string::npos);
  EXPECT_FALSE(r[2].recognised());
  EXPECT_NE(r[2].reason().find("outside"), std::string::npos);
  EXPECT_EQ(ValidityOf(fv1::CT), absl::Hours(90 * 24));
}

// Every action a refusal offers is one a caller can take: a method of the Referrals service
// ("record-arrival" is RecordArrival).
TEST(ReferralStateTest, AllowedActionsAreRpcsACallerCanCall) {
  // By a message of the service's file, so that the file is linked (and its descriptors built).
  const auto* service = fv1::SubmitReferralRequest::descriptor()->file()->FindServiceByName("Referrals");
  ASSERT_NE(service, nullptr);
  for (int s = fv1::Status_MIN; s <= fv1::Status_MAX; ++s) {
    if (!fv1::Status_IsValid(s)) continue;
    fv1::Referral r;
    r.set_status(static_cast<fv1::Status>(s));
    fv1::Referral awaiting = r;
    awaiting.set_business_status(fv1::AWAITING_INFORMATION);
    std::vector<std::string> actions = AllowedActions(r);
    for (auto& a : AllowedActions(awaiting)) actions.push_back(a);
    for (const std::string& action : actions) {
      std::string method;
      bool upper = true;
      for (char c : action) {
        if (c == '-') {
          upper = true;
          continue;
        }
        method.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
        upper = false;
      }
      EXPECT_NE(service->FindMethodByName(method), nullptr)
          << fv1::Status_Name(static_cast<fv1::Status>(s)) << " offers \"" << action << "\", which is no RPC";
    }
  }
}

}  // namespace
}  // namespace yilian::domain::referral
