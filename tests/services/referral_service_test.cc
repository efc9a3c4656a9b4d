// The referral service over gRPC on a real server: every RPC and its error cases, the
// sides' permissions, idempotent retries, expected versions, reserved expert slots, the bed
// saga with the bed board's answers, deadline timers on a manual clock (across a restart),
// redirect and the downward referral at completion, identical worklists and timelines
// after a restart with a rebuild, and concurrent commands on one referral.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <thread>

#include "referral_node.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/referral/referral.h"
#include "yilian/greenchannel/v1/greenchannel.pb.h"
#include "yilian/host/problem_trailer.h"
#include "yilian/testing/grpc_matchers.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::referral {

namespace fv1 = ::yilian::referral::v1;
namespace {

namespace gv1 = ::yilian::greenchannel::v1;
namespace rv1 = ::yilian::registry::v1;

absl::Time Utc(int month, int day, int hour) {
  return absl::FromCivil(absl::CivilHour(2026, month, day, hour), absl::UTCTimeZone());
}

class ReferralServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<ReferralNode>(dir_.path(), Utc(11, 25, 0));
    node_->ImportSample(YILIAN_SAMPLE_FILE);
  }

  static fv1::Referral Draft(const std::string& receiver, fv1::ServiceKind service, fv1::Priority p = fv1::URGENT) {
    fv1::Referral r;
    r.set_direction(fv1::UPWARD);
    r.set_receiver_institution_id(receiver);
    r.mutable_patient()->set_value("pt-7f3a9c");
    r.set_reason("suspected TIA, needs a neurologist");
    *r.add_diagnoses() = ::yilian::domain::referral::Icd10("G45.9");
    r.set_priority(p);
    r.set_requested_service(service);
    return r;
  }
  fv1::ReferralReply Submit(const std::string& token, const fv1::Referral& draft, const std::string& request_id) {
    fv1::SubmitReferralRequest req;
    *req.mutable_referral() = draft;
    req.set_request_id(request_id);
    fv1::ReferralReply out;
    auto s = node_->stub->Submit(ReferralNode::As(token).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  template <typename Request = fv1::AcceptReferralRequest>
  Request Action(const fv1::ReferralReply& r, const std::string& request_id) {
    Request req;
    req.set_referral_id(r.referral().referral_id());
    req.set_expected_version(r.version());
    req.set_request_id(request_id);
    return req;
  }
  // Submitted by qiaotouhe-thc to loudi-1st and accepted.
  fv1::ReferralReply Accepted(fv1::ServiceKind service, const std::string& tag) {
    auto r = Submit("qiaotouhe-doc", Draft("loudi-1st", service), "submit-" + tag);
    fv1::ReferralReply out;
    EXPECT_TRUE(node_->stub->Accept(ReferralNode::As("loudi-doc").get(), Action(r, "accept-" + tag), &out).ok());
    return out;
  }
  fv1::GetReferralResponse Get(const std::string& token, const std::string& id) {
    fv1::GetReferralRequest req;
    req.set_referral_id(id);
    fv1::GetReferralResponse out;
    auto s = node_->stub->GetReferral(ReferralNode::As(token).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  int64_t Head() const { return node_->stack->journal().head().sequence; }

  testing::TempDir dir_;
  std::unique_ptr<ReferralNode> node_;
};

TEST_F(ReferralServiceTest, UpwardWithReservedSlotThenDownwardToTheCommunity) {
  node_->Enrol("pt-7f3a9c", "qiaotouhe-thc");
  auto draft = Draft("loudi-1st", fv1::EXPERT_OUTPATIENT);
  auto* exam = draft.add_exam_results();
  exam->set_kind(fv1::CT);
  exam->set_result_id("ct-123");
  exam->set_performing_institution_id("qiaotouhe-thc");
  YILIAN_SET_MS(*exam, performed_at, absl::ToUnixMillis(Utc(11, 20, 0)));
  auto r = Submit("qiaotouhe-doc", draft, "up-1");
  EXPECT_EQ(r.referral().status(), fv1::REQUESTED);
  EXPECT_EQ(r.referral().sender_institution_id(), "qiaotouhe-thc");
  EXPECT_EQ(r.referral().sender_clinician(), "dr@qiaotouhe-thc");
  EXPECT_EQ(common::UnixMs(r.referral().respond_by()), absl::ToUnixMillis(Utc(11, 26, 0)));
  ASSERT_EQ(r.exam_recognition_size(), 1);
  EXPECT_TRUE(r.exam_recognition(0).recognised());
  EXPECT_EQ(r.version(), 1);
  // A retry is answered with the first result and writes nothing.
  const int64_t head = Head();
  auto again = Submit("qiaotouhe-doc", draft, "up-1");
  EXPECT_EQ(again.referral().referral_id(), r.referral().referral_id());
  EXPECT_EQ(Head(), head);

  fv1::ReferralReply out;
  EXPECT_GRPC(node_->stub->Acknowledge(ReferralNode::As("loudi-doc").get(),
                                       Action<fv1::AcknowledgeReferralRequest>(r, "ack"), &out),
              OK);
  EXPECT_EQ(out.referral().status(), fv1::RECEIVED);
  // The stale version is refused; the current one accepted.
  EXPECT_GRPC(node_->stub->Accept(ReferralNode::As("loudi-doc").get(), Action(r, "acc-stale"), &out), ABORTED);
  fv1::ReferralReply unknown = r;  // a referral that does not exist, with a version: nothing to re-read
  unknown.mutable_referral()->set_referral_id("ref-does-not-exist");
  EXPECT_GRPC(node_->stub->Accept(ReferralNode::As("loudi-doc").get(), Action(unknown, "acc-unknown"), &out),
              NOT_FOUND);
  fv1::ReferralReply received = out;
  EXPECT_GRPC(node_->stub->Accept(ReferralNode::As("loudi-office").get(), Action(received, "acc"), &out), OK);
  EXPECT_EQ(out.referral().status(), fv1::ACCEPTED);
  auto wrong = node_->stub->RecordArrival(ReferralNode::As("loudi-doc").get(),
                                          Action<fv1::RecordArrivalRequest>(out, "arr-early"), &out);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(wrong.error_message().find("allowed now: schedule"), std::string::npos) << wrong.error_message();

  // The sender sees its reserved slot at the lead hospital's neurology session.
  fv1::ListAvailableSlotsRequest lr;
  lr.set_host_institution_id("loudi-1st");
  lr.mutable_patient()->set_value("pt-7f3a9c");
  fv1::ListAvailableSlotsResponse slots;
  ASSERT_GRPC(node_->stub->ListAvailableSlots(ReferralNode::As("qiaotouhe-doc").get(), lr, &slots), OK);
  ASSERT_EQ(slots.sessions_size(), 1);
  EXPECT_EQ(slots.sessions(0).availability().reserved_left(), 1);
  EXPECT_EQ(slots.sessions(0).availability().general_left(), 12);

  fv1::ScheduleReferralRequest sr;
  sr.set_referral_id(out.referral().referral_id());
  sr.set_expected_version(out.version());
  sr.set_request_id("book");
  sr.set_session_id("loudi-neuro-2026-12-03-am");
  ASSERT_GRPC(node_->stub->Schedule(ReferralNode::As("loudi-doc").get(), sr, &out), OK);
  EXPECT_EQ(out.referral().status(), fv1::READY);
  EXPECT_TRUE(out.referral().schedule().reserved_slot());
  EXPECT_EQ(common::UnixMs(out.referral().schedule().at()), absl::ToUnixMillis(Utc(12, 3, 0)));
  ASSERT_GRPC(node_->stub->ListAvailableSlots(ReferralNode::As("qiaotouhe-doc").get(), lr, &slots), OK);
  EXPECT_EQ(slots.sessions(0).availability().reserved_left(), 0);

  EXPECT_GRPC(node_->stub->RecordArrival(ReferralNode::As("loudi-doc").get(),
                                         Action<fv1::RecordArrivalRequest>(out, "arrived"), &out),
              OK);
  EXPECT_EQ(out.referral().status(), fv1::IN_PROGRESS);
  fv1::CompleteReferralRequest cr;
  cr.set_referral_id(out.referral().referral_id());
  cr.set_expected_version(out.version());
  cr.set_request_id("done");
  cr.set_outcome_summary("TIA confirmed; antiplatelet therapy; follow-up in the community");
  cr.mutable_downward()->set_receiver_institution_id("qiaotouhe-thc");
  cr.mutable_downward()->set_requested_service(fv1::TELE_CONSULTATION);
  ASSERT_GRPC(node_->stub->Complete(ReferralNode::As("loudi-doc").get(), cr, &out), OK);
  EXPECT_EQ(out.referral().status(), fv1::COMPLETED);
  const std::string down = r.referral().referral_id() + ".down";
  EXPECT_EQ(out.referral().linked_to(), down);

  auto d = Get("qiaotouhe-doc", down);
  EXPECT_EQ(d.referral().referral().direction(), fv1::DOWNWARD);
  EXPECT_EQ(d.referral().referral().sender_institution_id(), "loudi-1st");
  EXPECT_EQ(d.referral().referral().receiver_institution_id(), "qiaotouhe-thc");
  EXPECT_EQ(d.referral().referral().patient().value(), "pt-7f3a9c");
  EXPECT_EQ(d.referral().referral().linked_from(), r.referral().referral_id());
  fv1::ListWorklistRequest wl;
  wl.set_status(fv1::REQUESTED);
  fv1::ListWorklistResponse incoming;
  ASSERT_GRPC(node_->stub->ListIncoming(ReferralNode::As("qiaotouhe-doc").get(), wl, &incoming), OK);
  ASSERT_EQ(incoming.referrals_size(), 1);
  EXPECT_EQ(incoming.referrals(0).referral().referral_id(), down);

  auto full = Get("loudi-doc", r.referral().referral_id());
  std::vector<std::string> types;
  for (const auto& t : full.timeline()) types.push_back(t.event_type());
  EXPECT_EQ(types, (std::vector<std::string>{"ReferralSubmitted", "ReferralReceived", "ReferralAccepted",
                                             "ReferralScheduled", "PatientArrived", "ReferralCompleted"}));
  EXPECT_EQ(full.timeline(2).actor(), "office@loudi-1st");
  EXPECT_NE(full.timeline(3).summary().find("reserved quota"), std::string::npos);
}

// Commands are answered from the journal's completion thread; a referral's lock is held until
// its append is durable. So concurrent calls on one referral see each other's effects: retries
// of one submission get the one answer, and of several acknowledgements exactly one wins while
// the others are refused by the rules, never ABORTED by a version they were not asked to check.
TEST_F(ReferralServiceTest, ConcurrentCallsOnOneReferralAreDecidedOneAfterAnother) {
  constexpr int kCallers = 16;
  const int64_t head = Head();
  fv1::SubmitReferralRequest submit;
  *submit.mutable_referral() = Draft("loudi-1st", fv1::EXPERT_OUTPATIENT);
  submit.set_request_id("submit-once");
  std::vector<fv1::ReferralReply> replies(kCallers);
  std::vector<grpc::Status> statuses(kCallers);
  auto all = [&](const std::function<void(int)>& call) {
    std::vector<std::thread> threads;
    for (int i = 0; i < kCallers; ++i) threads.emplace_back(call, i);
    for (auto& t : threads) t.join();
  };
  all([&](int i) { statuses[i] = node_->stub->Submit(ReferralNode::As("qiaotouhe-doc").get(), submit, &replies[i]); });
  for (int i = 0; i < kCallers; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    EXPECT_EQ(replies[i].referral().referral_id(), replies[0].referral().referral_id());
    EXPECT_EQ(replies[i].version(), 1);
  }
  EXPECT_EQ(Head(), head + 1);  // one submission written

  all([&](int i) {
    fv1::AcknowledgeReferralRequest ack;
    ack.set_referral_id(replies[0].referral().referral_id());
    ack.set_request_id("ack-" + std::to_string(i));
    fv1::ReferralReply out;
    statuses[i] = node_->stub->Acknowledge(ReferralNode::As("loudi-doc").get(), ack, &out);
  });
  std::map<grpc::StatusCode, int> codes;
  for (const auto& s : statuses) ++codes[s.error_code()];
  EXPECT_EQ(codes[grpc::StatusCode::OK], 1);
  EXPECT_EQ(codes[grpc::StatusCode::FAILED_PRECONDITION], kCallers - 1);
  EXPECT_EQ(codes[grpc::StatusCode::ABORTED], 0);
  EXPECT_EQ(Get("qiaotouhe-doc", replies[0].referral().referral_id()).referral().version(), 2);
}

TEST_F(ReferralServiceTest, OnlyThePartiesActOrSeeAndBadInputChangesNothing) {
  auto r = Submit("qiaotouhe-doc", Draft("loudi-1st", fv1::EXAMINATION), "p-1");
  const int64_t head = Head();
  fv1::GetReferralRequest g;
  g.set_referral_id(r.referral().referral_id());
  fv1::GetReferralResponse got;
  EXPECT_GRPC(node_->stub->GetReferral(ReferralNode::As("dutoutang-doc").get(), g, &got), PERMISSION_DENIED);
  EXPECT_GRPC(node_->stub->GetReferral(ReferralNode::As("dispatch").get(), g, &got), PERMISSION_DENIED);
  EXPECT_GRPC(node_->stub->GetReferral(ReferralNode::As("nobody").get(), g, &got), UNAUTHENTICATED);
  EXPECT_GRPC(node_->stub->GetReferral(ReferralNode::As("xiangya-doc").get(), g, &got),
              OK);  // lead of loudi-1st's consortium
  g.set_referral_id("ref-nope");
  EXPECT_GRPC(node_->stub->GetReferral(ReferralNode::As("loudi-doc").get(), g, &got), NOT_FOUND);
  g.set_referral_id(std::string(1 << 20, 'r'));  // a 1 MiB id: refused, and not echoed back
  {
    const auto status = node_->stub->GetReferral(ReferralNode::As("loudi-doc").get(), g, &got);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_LT(status.error_message().size(), 200u) << status.error_message().substr(0, 300);
  }

  fv1::ReferralReply out;
  EXPECT_GRPC(node_->stub->Accept(ReferralNode::As("qiaotouhe-doc").get(), Action(r, "a1"), &out),
              PERMISSION_DENIED);  // the sender's side
  EXPECT_GRPC(node_->stub->Accept(ReferralNode::As("dutoutang-doc").get(), Action(r, "a2"), &out), PERMISSION_DENIED);
  auto no_key = Action(r, "");
  EXPECT_GRPC(node_->stub->Accept(ReferralNode::As("loudi-doc").get(), no_key, &out), INVALID_ARGUMENT);
  auto unknown = Action(r, "a3");
  unknown.set_referral_id("ref-unknown");
  unknown.set_expected_version(0);
  EXPECT_GRPC(node_->stub->Accept(ReferralNode::As("loudi-doc").get(), unknown, &out), NOT_FOUND);

  fv1::SubmitReferralRequest bad;
  bad.set_request_id("bad-1");
  *bad.mutable_referral() = Draft("loudi-1st", fv1::EXAMINATION);
  bad.mutable_referral()->set_sender_institution_id("dutoutang-thc");  // not the caller's
  EXPECT_GRPC(node_->stub->Submit(ReferralNode::As("qiaotouhe-doc").get(), bad, &out), PERMISSION_DENIED);
  *bad.mutable_referral() = Draft("loudi-1st", fv1::EXAMINATION);
  bad.mutable_referral()->set_direction(fv1::DOWNWARD);  // downward to a higher tier
  EXPECT_GRPC(node_->stub->Submit(ReferralNode::As("qiaotouhe-doc").get(), bad, &out), FAILED_PRECONDITION);
  *bad.mutable_referral() = Draft("nowhere-hospital", fv1::EXAMINATION);
  EXPECT_GRPC(node_->stub->Submit(ReferralNode::As("qiaotouhe-doc").get(), bad, &out), NOT_FOUND);
  *bad.mutable_referral() = Draft("xiangya-3rd", fv1::EXAMINATION);  // no shared consortium
  EXPECT_GRPC(node_->stub->Submit(ReferralNode::As("qiaotouhe-doc").get(), bad, &out), FAILED_PRECONDITION);
  *bad.mutable_referral() = Draft("loudi-1st", fv1::EXAMINATION);
  bad.mutable_referral()->mutable_patient()->set_value("430103199001011234");  // an id-card number
  EXPECT_GRPC(node_->stub->Submit(ReferralNode::As("qiaotouhe-doc").get(), bad, &out), INVALID_ARGUMENT);
  EXPECT_GRPC(node_->stub->Submit(ReferralNode::As("dispatch").get(), bad, &out), PERMISSION_DENIED);
  // Ids are the service's: a caller cannot take one (say, the id a redirect of `r` will get);
  // its own reference is kept beside the id.
  *bad.mutable_referral() = Draft("loudi-1st", fv1::EXAMINATION);
  bad.mutable_referral()->set_referral_id(r.referral().referral_id() + ".redir");
  grpc::ClientContext squat_ctx;
  squat_ctx.AddMetadata("authorization", "Bearer qiaotouhe-doc");
  EXPECT_EQ(node_->stub->Submit(&squat_ctx, bad, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(host::ProblemOf(squat_ctx).value_or(common::v1::Problem()).field(), "referral.referral_id");
  // The same request id for another request is refused.
  auto other = Draft("loudi-1st", fv1::TELE_CONSULTATION);
  fv1::SubmitReferralRequest reuse;
  *reuse.mutable_referral() = other;
  reuse.set_request_id("p-1");
  EXPECT_GRPC(node_->stub->Submit(ReferralNode::As("qiaotouhe-doc").get(), reuse, &out), ALREADY_EXISTS);

  fv1::ListWorklistRequest wl;
  wl.set_institution_id("loudi-1st");
  fv1::ListWorklistResponse list;
  EXPECT_GRPC(node_->stub->ListIncoming(ReferralNode::As("qiaotouhe-doc").get(), wl, &list), PERMISSION_DENIED);
  fv1::ScheduleReferralRequest sr;
  sr.set_referral_id(r.referral().referral_id());
  sr.set_request_id("s-1");
  EXPECT_GRPC(node_->stub->Schedule(ReferralNode::As("loudi-doc").get(), sr, &out), INVALID_ARGUMENT);
  EXPECT_EQ(Head(), head);  // nothing written by any of it
  fv1::SubmitReferralRequest own_ref;
  own_ref.set_request_id("own-ref-1");
  *own_ref.mutable_referral() = Draft("loudi-1st", fv1::EXAMINATION);
  own_ref.mutable_referral()->set_client_reference("HIS/2026/000417");
  EXPECT_GRPC(node_->stub->Submit(ReferralNode::As("qiaotouhe-doc").get(), own_ref, &out), OK);
  EXPECT_EQ(out.referral().client_reference(), "HIS/2026/000417");
  EXPECT_EQ(out.referral().referral_id().rfind("ref-", 0), 0u) << out.referral().referral_id();
}

// A stored answer goes to its own principal only: the same subject name at another
// institution replaying a request id is decided afresh (and refused), not handed the first
// caller's reply with the patient's identity.
TEST_F(ReferralServiceTest, AStoredAnswerGoesOnlyToThePrincipalThatAsked) {
  fv1::SubmitReferralRequest sub;
  *sub.mutable_referral() = Draft("loudi-1st", fv1::EXAMINATION);
  sub.mutable_identity()->set_name("Zhang San");
  sub.set_request_id("own-1");
  fv1::ReferralReply r;
  ASSERT_TRUE(node_->stub->Submit(ReferralNode::As("qiaotouhe-doc").get(), sub, &r).ok());
  fv1::ReferralReply accepted;
  ASSERT_TRUE(node_->stub->Accept(ReferralNode::As("loudi-doc").get(), Action(r, "acc-own"), &accepted).ok());
  EXPECT_EQ(accepted.identity().identity().name(), "Zhang San");  // loudi-doc is in the patient's care
  const int64_t head = Head();
  fv1::ReferralReply replay;
  EXPECT_GRPC(node_->stub->Accept(ReferralNode::As("namesake").get(), Action(r, "acc-own"), &replay),
              PERMISSION_DENIED);
  EXPECT_FALSE(replay.has_identity());
  // The principal that asked still gets its first answer.
  EXPECT_GRPC(node_->stub->Accept(ReferralNode::As("loudi-doc").get(), Action(r, "acc-own"), &replay), OK);
  EXPECT_EQ(replay.version(), accepted.version());
  EXPECT_EQ(Head(), head);
}

// Who saw which patient: a read that shows an identity is on record (one IdentityRevealed per
// patient, naming the caller, the call and the patient) before it is answered; one that shows
// none writes nothing.
TEST_F(ReferralServiceTest, EveryReadShowingAnIdentityIsOnRecordFirst) {
  fv1::SubmitReferralRequest sub;
  *sub.mutable_referral() = Draft("loudi-1st", fv1::EXAMINATION);
  sub.mutable_identity()->set_name("Zhang San");
  sub.set_request_id("seen-1");
  fv1::ReferralReply r;
  ASSERT_TRUE(node_->stub->Submit(ReferralNode::As("qiaotouhe-doc").get(), sub, &r).ok());
  const auto reveals_after = [&](int64_t from) {
    std::vector<events::v1::Envelope> out;
    EXPECT_OK(node_->stack->journal()
                  .Read(from + 1, 0,
                        [&](const eventstore::JournalEntry& e) {
                          events::v1::Envelope env;
                          EXPECT_TRUE(env.ParseFromArray(e.envelope.data(), static_cast<int>(e.envelope.size())));
                          if (env.aggregate_type() == "identity_reveal") out.push_back(env);
                          return true;
                        })
                  .status());
    return out;
  };
  int64_t head = Head();
  EXPECT_EQ(Get("loudi-doc", r.referral().referral_id()).referral().identity().identity().name(), "Zhang San");
  auto seen = reveals_after(head);
  ASSERT_EQ(seen.size(), 1u);
  common::v1::IdentityRevealed revealed;
  ASSERT_TRUE(seen[0].payload().UnpackTo(&revealed));
  EXPECT_EQ(revealed.rpc(), "GetReferral");
  EXPECT_EQ(seen[0].patient().value(), "pt-7f3a9c");
  EXPECT_EQ(seen[0].actor().subject(), "dr@loudi-1st");
  EXPECT_EQ(seen[0].actor().institution_id(), "loudi-1st");
  EXPECT_EQ(seen[0].actor().role(), common::v1::ROLE_CLINICIAN);
  EXPECT_EQ(seen[0].institution_ids(0), "loudi-1st");
  // A worklist records each patient it shows once.
  head = Head();
  fv1::ListWorklistRequest wl;
  fv1::ListWorklistResponse list;
  ASSERT_TRUE(node_->stub->ListIncoming(ReferralNode::As("loudi-office").get(), wl, &list).ok());
  ASSERT_GE(list.referrals_size(), 1);
  seen = reveals_after(head);
  ASSERT_EQ(seen.size(), 1u);
  ASSERT_TRUE(seen[0].payload().UnpackTo(&revealed));
  EXPECT_EQ(revealed.rpc(), "ListIncoming");
  EXPECT_EQ(seen[0].actor().subject(), "office@loudi-1st");
  // A referral without an identity shows none, and nothing is written.
  auto plain = Submit("qiaotouhe-doc", Draft("loudi-1st", fv1::EXAMINATION), "seen-2");
  head = Head();
  EXPECT_FALSE(Get("loudi-doc", plain.referral().referral_id()).referral().has_identity());
  EXPECT_EQ(Head(), head);
  // The projections skip the records: a rebuild gives the same worklist.
  node_->Stop();
  node_->Start(/*rebuild=*/true);
  fv1::ListWorklistResponse again;
  ASSERT_TRUE(node_->stub->ListIncoming(ReferralNode::As("loudi-office").get(), wl, &again).ok());
  EXPECT_EQ(again.referrals_size(), list.referrals_size() + 1);
}

// Every error carries a Problem in the "yilian-problem-bin" trailer a client can act on:
// the field over its bound, the version to re-read at, the actions the state allows.
TEST_F(ReferralServiceTest, ErrorsCarryAProblemTrailerAClientCanActOn) {
  auto r = Submit("qiaotouhe-doc", Draft("loudi-1st", fv1::EXAMINATION), "pb-1");
  fv1::ReferralReply out;
  const auto problem_of = [](const grpc::ClientContext& ctx) {
    auto p = host::ProblemOf(ctx);
    EXPECT_TRUE(p.has_value()) << "no yilian-problem-bin trailer";
    return p.value_or(common::v1::Problem());
  };
  {  // a field over its bound
    fv1::SubmitReferralRequest req;
    *req.mutable_referral() = Draft("loudi-1st", fv1::EXAMINATION);
    req.mutable_referral()->set_reason(std::string(100000, 'x'));
    req.set_request_id("pb-long");
    auto ctx = ReferralNode::As("qiaotouhe-doc");
    EXPECT_EQ(node_->stub->Submit(ctx.get(), req, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    const auto p = problem_of(*ctx);
    EXPECT_EQ(p.type(), "field-invalid");
    EXPECT_EQ(p.field(), "reason");
    EXPECT_EQ(p.title(), "INVALID_ARGUMENT");
    EXPECT_NE(p.detail().find("at most"), std::string::npos) << p.detail();
  }
  {  // a field out of its vocabulary
    fv1::SubmitReferralRequest req;
    *req.mutable_referral() = Draft("loudi-1st", fv1::EXAMINATION);
    req.mutable_referral()->set_priority(static_cast<fv1::Priority>(99));
    req.set_request_id("pb-priority");
    auto ctx = ReferralNode::As("qiaotouhe-doc");
    EXPECT_EQ(node_->stub->Submit(ctx.get(), req, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(problem_of(*ctx).field(), "priority");
  }
  {  // a stale version: the current one, to re-read at
    auto stale = Action(r, "pb-stale");
    stale.set_expected_version(r.version() + 5);
    auto ctx = ReferralNode::As("loudi-doc");
    EXPECT_EQ(node_->stub->Accept(ctx.get(), stale, &out).error_code(), grpc::StatusCode::ABORTED);
    const auto p = problem_of(*ctx);
    EXPECT_EQ(p.type(), "version-conflict");
    EXPECT_EQ(p.current_version(), r.version());
  }
  {  // the wrong state: the actions it allows
    auto ctx = ReferralNode::As("loudi-doc");
    fv1::CompleteReferralRequest done;
    done.set_referral_id(r.referral().referral_id());
    done.set_request_id("pb-complete");
    done.set_outcome_summary("seen");
    EXPECT_EQ(node_->stub->Complete(ctx.get(), done, &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    const auto p = problem_of(*ctx);
    EXPECT_EQ(p.type(), "wrong-state");
    EXPECT_EQ(std::vector<std::string>(p.allowed_actions().begin(), p.allowed_actions().end()),
              (std::vector<std::string>{"acknowledge", "accept", "reject", "request-information", "amend",
                                        "assign-owner", "cancel", "redirect", "mark-entered-in-error"}));
  }
  {  // errors made outside the rules get one too, typed by their code
    fv1::GetReferralRequest g;
    g.set_referral_id(r.referral().referral_id());
    fv1::GetReferralResponse got;
    auto nobody = ReferralNode::As("nobody");
    EXPECT_EQ(node_->stub->GetReferral(nobody.get(), g, &got).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(problem_of(*nobody).type(), "unauthenticated");
    g.set_referral_id("ref-nope");
    auto ctx = ReferralNode::As("loudi-doc");
    EXPECT_EQ(node_->stub->GetReferral(ctx.get(), g, &got).error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(problem_of(*ctx).type(), "not-found");
    auto ok = ReferralNode::As("loudi-doc");
    g.set_referral_id(r.referral().referral_id());
    EXPECT_EQ(node_->stub->GetReferral(ok.get(), g, &got).error_code(), grpc::StatusCode::OK);
    EXPECT_FALSE(host::ProblemOf(*ok).has_value()) << "an OK call carries no problem";
  }
}

TEST_F(ReferralServiceTest, TheRegistryMirrorsChangesReachTheNextSubmission) {
  // The directory caches what each submission reads of the registry mirror; a change the
  // consumer writes must be seen by the very next call.
  auto first = Submit("qiaotouhe-doc", Draft("loudi-1st", fv1::EXAMINATION), "m-1");
  rv1::SuspendInstitutionRequest sus;
  sus.set_institution_id("loudi-1st");
  sus.set_reason("inspection");
  rv1::InstitutionReply inst;
  ASSERT_TRUE(node_->registry.stub->SuspendInstitution(ReferralNode::As("admin").get(), sus, &inst).ok());
  node_->Sync();
  fv1::SubmitReferralRequest req;
  *req.mutable_referral() = Draft("loudi-1st", fv1::EXAMINATION);
  req.set_request_id("m-2");
  fv1::ReferralReply out;
  auto refused = node_->stub->Submit(ReferralNode::As("qiaotouhe-doc").get(), req, &out);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find("loudi-1st is suspended"), std::string::npos) << refused.error_message();
  // The suspended institution's staff reach neither its referrals nor its worklist.
  fv1::GetReferralRequest g;
  g.set_referral_id(first.referral().referral_id());
  fv1::GetReferralResponse got;
  EXPECT_GRPC(node_->stub->GetReferral(ReferralNode::As("loudi-doc").get(), g, &got), PERMISSION_DENIED);
  EXPECT_FALSE(got.has_referral());
  fv1::ListWorklistRequest wl;
  fv1::ListWorklistResponse list;
  EXPECT_GRPC(node_->stub->ListIncoming(ReferralNode::As("loudi-office").get(), wl, &list), PERMISSION_DENIED);
  EXPECT_GRPC(node_->stub->Accept(ReferralNode::As("loudi-doc").get(), Action(first, "m-acc"), &out),
              PERMISSION_DENIED);
  EXPECT_GRPC(node_->stub->GetReferral(ReferralNode::As("qiaotouhe-doc").get(), g, &got), OK);  // the sender still does
  fv1::SubmitReferralRequest from_suspended;                                                    // nor submit anything
  *from_suspended.mutable_referral() = Draft("qiaotouhe-thc", fv1::EXAMINATION);
  from_suspended.mutable_referral()->set_direction(fv1::DOWNWARD);
  from_suspended.set_request_id("m-down");
  EXPECT_GRPC(node_->stub->Submit(ReferralNode::As("loudi-doc").get(), from_suspended, &out), PERMISSION_DENIED);
  rv1::ReactivateInstitutionRequest re;
  re.set_institution_id("loudi-1st");
  ASSERT_TRUE(node_->registry.stub->ReactivateInstitution(ReferralNode::As("admin").get(), re, &inst).ok());
  node_->Sync();
  req.set_request_id("m-3");
  EXPECT_TRUE(node_->stub->Submit(ReferralNode::As("qiaotouhe-doc").get(), req, &out).ok());
  EXPECT_GRPC(node_->stub->GetReferral(ReferralNode::As("loudi-doc").get(), g, &got), OK);  // reactivated
}

TEST_F(ReferralServiceTest, InformationLoopRejectionAndExamScheduling) {
  auto r = Submit("qiaotouhe-doc", Draft("loudi-1st", fv1::EXAMINATION), "i-1");
  fv1::RequestInformationRequest q;
  q.set_referral_id(r.referral().referral_id());
  q.set_request_id("q");
  q.set_question("please attach the latest ECG");
  fv1::ReferralReply out;
  ASSERT_GRPC(node_->stub->RequestInformation(ReferralNode::As("loudi-doc").get(), q, &out), OK);
  EXPECT_EQ(out.referral().status(), fv1::RECEIVED);
  EXPECT_EQ(out.referral().business_status(), fv1::AWAITING_INFORMATION);
  fv1::SupplyInformationRequest a;
  a.set_referral_id(r.referral().referral_id());
  a.set_request_id("a");
  a.set_answer("ECG attached");
  auto* ecg = a.add_exam_results();
  ecg->set_kind(fv1::ECG);
  ecg->set_result_id("ecg-9");
  ecg->set_performing_institution_id("qiaotouhe-thc");
  YILIAN_SET_MS(*ecg, performed_at, absl::ToUnixMillis(Utc(11, 10, 0)));  // older than 7 days
  EXPECT_GRPC(node_->stub->SupplyInformation(ReferralNode::As("loudi-doc").get(), a, &out), PERMISSION_DENIED);
  ASSERT_GRPC(node_->stub->SupplyInformation(ReferralNode::As("qiaotouhe-doc").get(), a, &out), OK);
  EXPECT_EQ(out.referral().status(), fv1::RECEIVED);
  ASSERT_EQ(out.exam_recognition_size(), 1);
  EXPECT_FALSE(out.exam_recognition(0).recognised());  // to be repeated

  auto acc = Action(out, "acc");
  ASSERT_GRPC(node_->stub->Accept(ReferralNode::As("loudi-doc").get(), acc, &out), OK);
  fv1::ScheduleReferralRequest sr;
  sr.set_referral_id(r.referral().referral_id());
  sr.set_request_id("exam");
  YILIAN_SET_MS(sr, appointment_at, absl::ToUnixMillis(Utc(11, 27, 2)));
  ASSERT_GRPC(node_->stub->Schedule(ReferralNode::As("loudi-doc").get(), sr, &out), OK);
  EXPECT_EQ(out.referral().schedule().kind(), fv1::EXAMINATION);

  auto r2 = Submit("qiaotouhe-doc", Draft("loudi-1st", fv1::EXAMINATION), "i-2");
  fv1::RejectReferralRequest rj;
  rj.set_referral_id(r2.referral().referral_id());
  rj.set_request_id("rj");
  rj.set_reason_code("NOT_INDICATED");
  rj.set_advice("manage in primary care; recheck in 4 weeks");
  ASSERT_GRPC(node_->stub->Reject(ReferralNode::As("loudi-doc").get(), rj, &out), OK);
  EXPECT_EQ(out.referral().status(), fv1::REJECTED);
  EXPECT_EQ(out.referral().advice(), "manage in primary care; recheck in 4 weeks");
  EXPECT_EQ(std::vector<std::string>(out.allowed_actions().begin(), out.allowed_actions().end()),
            std::vector<std::string>{"mark-entered-in-error"});  // terminal: only a correction is left
  fv1::CancelReferralRequest c;
  c.set_referral_id(r2.referral().referral_id());
  c.set_request_id("c");
  c.set_reason("patient recovered");
  EXPECT_GRPC(node_->stub->Cancel(ReferralNode::As("qiaotouhe-doc").get(), c, &out), FAILED_PRECONDITION);
}

TEST_F(ReferralServiceTest, BedSagaFollowsTheBoardsAnswers) {
  auto r = Accepted(fv1::INPATIENT_BED, "bed");
  const std::string id = r.referral().referral_id();
  auto ask = [&](const std::string& key) {
    fv1::ScheduleReferralRequest sr;
    sr.set_referral_id(id);
    sr.set_request_id(key);
    sr.mutable_bed()->set_ward_kind(rv1::WARD_GENERAL);
    YILIAN_SET_MS(*sr.mutable_bed(), planned_admission_at, absl::ToUnixMillis(Utc(11, 26, 2)));
    fv1::ReferralReply out;
    EXPECT_GRPC(node_->stub->Schedule(ReferralNode::As("loudi-doc").get(), sr, &out), OK);
    return out;
  };
  auto asked = ask("bed-1");
  EXPECT_EQ(asked.referral().status(), fv1::ACCEPTED);
  const std::string first = asked.referral().schedule().bed_request_id();
  ASSERT_FALSE(first.empty());

  gv1::BedRequestDeclined declined;
  declined.mutable_request()->set_request_id(first);
  declined.mutable_request()->set_referral_id(id);
  declined.mutable_request()->set_reason("no general bed free at loudi-1st");
  ASSERT_OK(node_->SendBoard(declined, first));
  auto now = Get("loudi-doc", id).referral();
  EXPECT_EQ(now.referral().status(), fv1::ACCEPTED);
  EXPECT_NE(now.referral().status_reason().find("no general bed"), std::string::npos);

  node_->clock.Advance(absl::Minutes(5));
  const std::string second = ask("bed-2").referral().schedule().bed_request_id();
  ASSERT_NE(second, first);
  gv1::BedReserved reserved;
  reserved.mutable_request()->set_request_id(second);
  reserved.mutable_request()->set_referral_id(id);
  ASSERT_OK(node_->SendBoard(reserved, second));
  ASSERT_OK(node_->SendBoard(reserved, second));  // delivered twice: acted on once
  now = Get("loudi-doc", id).referral();
  EXPECT_EQ(now.referral().status(), fv1::READY);
  EXPECT_EQ(now.referral().business_status(), fv1::BED_RESERVED);
  EXPECT_TRUE(now.referral().schedule().bed_reserved());
  // The late answer to the first request changes nothing.
  ASSERT_OK(node_->SendBoard(declined, first));
  EXPECT_EQ(Get("loudi-doc", id).referral().version(), now.version());
  // A bed answer naming no referral is refused (the consumer would park it).
  EXPECT_CODE(node_->SendBoard(reserved, "not-a-bed-request"), kInvalidArgument);

  fv1::CancelReferralRequest c;
  c.set_referral_id(id);
  c.set_request_id("cancel");
  c.set_reason("patient chose another hospital");
  fv1::ReferralReply out;
  ASSERT_GRPC(node_->stub->Cancel(ReferralNode::As("qiaotouhe-doc").get(), c, &out), OK);
  EXPECT_EQ(out.referral().status(), fv1::CANCELLED);
  auto t = Get("qiaotouhe-doc", id).timeline();
  EXPECT_EQ(t.rbegin()->event_type(), "BedRequestCancelled");  // the bed board releases the hold

  // A reserved bed whose hold lapses before the patient comes fails the referral.
  auto r2 = Accepted(fv1::INPATIENT_BED, "bed-b");
  fv1::ScheduleReferralRequest sr;
  sr.set_referral_id(r2.referral().referral_id());
  sr.set_request_id("bed-3");
  sr.mutable_bed()->set_ward_kind(rv1::WARD_GENERAL);
  YILIAN_SET_MS(*sr.mutable_bed(), planned_admission_at, absl::ToUnixMillis(Utc(11, 26, 2)));
  ASSERT_GRPC(node_->stub->Schedule(ReferralNode::As("loudi-doc").get(), sr, &out), OK);
  const std::string third = out.referral().schedule().bed_request_id();
  reserved.mutable_request()->set_request_id(third);
  reserved.mutable_request()->set_referral_id(r2.referral().referral_id());
  ASSERT_OK(node_->SendBoard(reserved, third));
  gv1::BedRequestReleased lapsed;
  lapsed.set_reason("expired");
  ASSERT_OK(node_->SendBoard(lapsed, third));
  now = Get("loudi-doc", r2.referral().referral_id()).referral();
  EXPECT_EQ(now.referral().status(), fv1::FAILED);
  EXPECT_NE(now.referral().status_reason().find("no-show"), std::string::npos);
}

TEST_F(ReferralServiceTest, DeadlineTimersEscalateThenExpireAcrossARestart) {
  auto r = Submit("qiaotouhe-doc", Draft("loudi-1st", fv1::EXAMINATION, fv1::STAT), "stat");
  const std::string id = r.referral().referral_id();
  EXPECT_EQ(node_->stack->timers().RunOnce(), 0);
  node_->clock.Advance(absl::Minutes(16));  // past the 15-minute answer deadline
  EXPECT_EQ(node_->stack->timers().RunOnce(), 1);
  EXPECT_EQ(Get("loudi-doc", id).referral().referral().escalation_level(), 1);
  // Down while the second escalation falls due: it fires at the first look after the start.
  node_->Stop();
  node_->clock.Advance(absl::Minutes(15));
  node_->Start(false);  // the timer thread's first look, at start, fires it
  EXPECT_TRUE(testing::WaitFor([&] { return Get("loudi-doc", id).referral().referral().escalation_level() == 2; },
                               std::chrono::seconds(60)));
  fv1::ListWorklistRequest wl;
  fv1::ListWorklistResponse list;
  ASSERT_GRPC(node_->stub->ListIncoming(ReferralNode::As("loudi-office").get(), wl, &list), OK);
  ASSERT_EQ(list.referrals_size(), 1);
  EXPECT_EQ(list.referrals(0).referral().escalation_level(), 2);
  node_->clock.Advance(absl::Minutes(30));  // past the one-hour scheduling deadline
  EXPECT_EQ(node_->stack->timers().RunOnce(), 1);
  auto failed = Get("loudi-doc", id);
  EXPECT_EQ(failed.referral().referral().status(), fv1::CANCELLED);
  EXPECT_EQ(failed.referral().referral().business_status(), fv1::DEADLINE_EXPIRED);
  EXPECT_EQ(failed.referral().referral().status_reason(), "not scheduled by its deadline");
  EXPECT_EQ(failed.timeline().rbegin()->actor(), "referral");
  EXPECT_EQ(node_->stack->timers().RunOnce(), 0);
}

TEST_F(ReferralServiceTest, RedirectContinuesAtAnotherReceiverAndRebuildIsIdentical) {
  auto d = Draft("loudi-1st", fv1::EXPERT_OUTPATIENT);
  d.set_cross_consortium(true);
  auto r = Submit("qiaotouhe-doc", d, "x-1");
  fv1::RedirectReferralRequest rr;
  rr.set_referral_id(r.referral().referral_id());
  rr.set_request_id("redir");
  rr.set_reason("needs the provincial stroke team");
  fv1::ReferralReply out;
  EXPECT_GRPC(node_->stub->Redirect(ReferralNode::As("xiangya-doc").get(), rr, &out), INVALID_ARGUMENT);
  rr.set_to_institution_id("xiangya-3rd");
  EXPECT_GRPC(node_->stub->Redirect(ReferralNode::As("dutoutang-doc").get(), rr, &out), PERMISSION_DENIED);
  ASSERT_GRPC(node_->stub->Redirect(ReferralNode::As("xiangya-doc").get(), rr, &out), OK);  // the lead redirects
  EXPECT_EQ(out.referral().referral_id(), r.referral().referral_id() + ".redir");
  EXPECT_EQ(out.referral().receiver_institution_id(), "xiangya-3rd");
  EXPECT_EQ(out.referral().linked_from(), r.referral().referral_id());
  EXPECT_EQ(out.referral().status(), fv1::REQUESTED);
  auto old = Get("qiaotouhe-doc", r.referral().referral_id());
  EXPECT_EQ(old.referral().referral().status(), fv1::CANCELLED);
  EXPECT_EQ(old.referral().referral().business_status(), fv1::REDIRECTED);
  EXPECT_EQ(old.referral().referral().linked_to(), out.referral().referral_id());
  fv1::ReferralReply retry;
  ASSERT_GRPC(node_->stub->Redirect(ReferralNode::As("xiangya-doc").get(), rr, &retry), OK);
  EXPECT_EQ(retry.referral().referral_id(), out.referral().referral_id());

  Accepted(fv1::EXAMINATION, "y");
  Submit("qiaotouhe-doc", Draft("loudi-1st", fv1::TELE_CONSULTATION, fv1::ROUTINE), "z");
  auto lists = [&] {
    std::string all;
    for (const char* token : {"qiaotouhe-doc", "loudi-doc", "xiangya-doc"}) {
      fv1::ListWorklistRequest wl;
      fv1::ListWorklistResponse in, outgoing;
      EXPECT_GRPC(node_->stub->ListIncoming(ReferralNode::As(token).get(), wl, &in), OK);
      EXPECT_GRPC(node_->stub->ListOutgoing(ReferralNode::As(token).get(), wl, &outgoing), OK);
      all += in.SerializeAsString() + "|" + outgoing.SerializeAsString() + "|";
    }
    all += Get("qiaotouhe-doc", r.referral().referral_id()).SerializeAsString();
    return all;
  };
  const std::string before = lists();
  ASSERT_OK_AND_ASSIGN(const std::string rows, node_->stack->store().Dump(eventstore::Family::kProjection));
  node_->Stop();
  node_->Start(true);
  EXPECT_EQ(lists(), before);
  ASSERT_OK_AND_ASSIGN(const std::string rebuilt, node_->stack->store().Dump(eventstore::Family::kProjection));
  EXPECT_EQ(rebuilt, rows);
  // Priority orders the incoming list within a status: the URGENT one before the ROUTINE one.
  fv1::ListWorklistRequest wl;
  wl.set_status(fv1::REQUESTED);
  fv1::ListWorklistResponse in;
  ASSERT_GRPC(node_->stub->ListIncoming(ReferralNode::As("loudi-doc").get(), wl, &in), OK);
  ASSERT_EQ(in.referrals_size(), 1);
  EXPECT_EQ(in.referrals(0).referral().priority(), fv1::ROUTINE);
}

}  // namespace
}  // namespace yilian::referral
