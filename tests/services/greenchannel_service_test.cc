// The green channel's gRPC API on a real server (port 0) over a real journal, with the
// sample consortia in the registry and a manual clock: placement and escalation, holds,
// milestones and clocks, redirects, expiry, referral bed requests, capacity cuts, the board
// and its watch stream, permissions, idempotency, restart and rebuild.
#include <gtest/gtest.h>

#include <limits>
#include <thread>

#include "greenchannel_node.h"
#include "yilian/common/timestamp.h"
#include "yilian/host/call_deadline.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::greenchannel {

namespace gv1 = ::yilian::greenchannel::v1;
namespace {

using grpc::StatusCode;
namespace rv1 = ::yilian::registry::v1;
namespace fv1 = ::yilian::referral::v1;
using testing::WaitFor;

class GreenChannelServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<GreenChannelNode>(dir_.Sub("node"));
    node_->ImportSample(YILIAN_SAMPLE_FILE);
  }
  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) { return GreenChannelNode::As(token); }
  int64_t Now() const { return absl::ToUnixMillis(node_->clock.Now()); }
  int64_t Head() const { return node_->stack->journal().head().sequence; }

  gv1::OpenCaseRequest Request(gv1::Condition condition, const std::string& request_id,
                               const std::string& consortium = "loudi-alliance") {
    gv1::OpenCaseRequest r;
    r.set_condition(condition);
    r.set_severity(1);
    r.mutable_location()->set_latitude(27.70);  // a few km from Loudi First People's Hospital
    r.mutable_location()->set_longitude(111.95);
    YILIAN_SET_MS(r, first_medical_contact_at, Now() - 10 * 60000);
    r.set_dispatch_centre("120-loudi");
    r.set_consortium_id(consortium);
    r.set_request_id(request_id);
    return r;
  }
  gv1::CaseReply Open(const gv1::OpenCaseRequest& r, StatusCode want = StatusCode::OK,
                      const std::string& token = "dispatch") {
    gv1::CaseReply out;
    auto s = node_->stub->OpenCase(As(token).get(), r, &out);
    EXPECT_EQ(s.error_code(), want) << s.error_message();
    return out;
  }
  gv1::CaseReply Open(gv1::Condition c, const std::string& id) { return Open(Request(c, id)); }
  gv1::WardStatus Ward(const std::string& institution, const std::string& ward) {
    gv1::BedBoardRequest req;
    req.set_institution_id(institution);
    gv1::BedBoard board;
    EXPECT_TRUE(node_->stub->GetBedBoard(As("dispatch").get(), req, &board).ok());
    for (const auto& w : board.wards())
      if (w.board().ward_id() == ward) return w;
    ADD_FAILURE() << "no ward " << institution << "/" << ward;
    return {};
  }
  StatusCode Milestone(const gv1::CaseReply& c, gv1::Milestone m, int64_t at, const std::string& token,
                       gv1::CaseReply* out = nullptr, int64_t expected = 0) {
    gv1::RecordMilestoneRequest req;
    req.set_case_id(c.emergency_case().case_id());
    req.set_milestone(m);
    YILIAN_SET_MS(req, at, at);
    req.set_expected_version(expected);
    gv1::CaseReply reply;
    auto s = node_->stub->RecordMilestone(As(token).get(), req, out ? out : &reply);
    return s.error_code();
  }
  gv1::CaseDetail Get(const std::string& case_id, const std::string& token = "dispatch") {
    gv1::GetCaseRequest req;
    req.set_case_id(case_id);
    gv1::CaseDetail out;
    EXPECT_TRUE(node_->stub->GetCase(As(token).get(), req, &out).ok());
    return out;
  }
  gv1::BedRequestReply BedRequest(const std::string& id) {
    gv1::GetBedRequestRequest req;
    req.set_request_id(id);
    gv1::BedRequestReply out;
    EXPECT_TRUE(node_->stub->GetBedRequest(As("service").get(), req, &out).ok());
    return out;
  }
  fv1::BedRequested Requested(const std::string& id, int64_t hold_until = 0) {
    fv1::BedRequested r;
    r.set_request_id(id);
    r.set_referral_id("ref-" + id);
    r.set_institution_id("loudi-1st");
    r.set_ward_kind(rv1::WARD_GENERAL);
    YILIAN_SET_MS(r, hold_until, hold_until);
    return r;
  }

  testing::TempDir dir_;
  std::unique_ptr<GreenChannelNode> node_;
};

TEST_F(GreenChannelServiceTest, OpenCaseHoldsABedInTheNearestCapableHospitalAndExplainsWhy) {
  auto c = Open(gv1::STROKE, "call-1");
  const auto& p = c.emergency_case().placement();
  EXPECT_EQ(p.step(), gv1::IN_CIRCLE);
  EXPECT_EQ(p.institution_id(), "loudi-1st");
  EXPECT_EQ(p.ward_id(), "stroke-1");
  ASSERT_GT(p.considered_size(), 1);
  EXPECT_EQ(p.considered(0).institution_id(), "loudi-1st");
  EXPECT_NE(p.considered(0).reason().find("chosen"), std::string::npos) << p.considered(0).reason();
  EXPECT_GT(p.considered(0).travel_minutes(), 0);
  EXPECT_EQ(c.emergency_case().status(), gv1::EN_ROUTE);
  EXPECT_EQ(c.version(), 1);
  EXPECT_EQ(common::UnixMs(c.hold_expires_at()), Now() + 60 * 60000);
  EXPECT_EQ(Ward("loudi-1st", "stroke-1").held(), 1);

  // A retry gets the first answer and holds nothing more; the same key for another call is refused.
  const int64_t head = Head();
  auto again = Open(Request(gv1::STROKE, "call-1"));
  EXPECT_EQ(again.SerializeAsString(), c.SerializeAsString());
  EXPECT_EQ(Head(), head);
  auto other = Request(gv1::STROKE, "call-1");
  other.set_severity(3);
  Open(other, StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Ward("loudi-1st", "stroke-1").held(), 1);
}

TEST_F(GreenChannelServiceTest, ConcurrentRetriesOfOneCallHoldOneBedAndLeaveNoPhantomHold) {
  node_->SetCapacity("loudi-1st", "stroke-1", 1, 0);
  node_->SetCapacity("loudi-1st", "icu-1", 1, 0);
  std::vector<gv1::CaseReply> replies(8);
  std::vector<grpc::Status> codes(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      codes[i] = node_->stub->OpenCase(As("dispatch").get(), Request(gv1::STROKE, "same-call"), &replies[i]);
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(codes[i].ok()) << codes[i].error_message();
    EXPECT_EQ(replies[i].SerializeAsString(), replies[0].SerializeAsString());
  }
  EXPECT_EQ(Ward("loudi-1st", "stroke-1").held(), 1);
  EXPECT_EQ(Ward("loudi-1st", "icu-1").held(), 0);
  // A retry placed elsewhere while the first was in flight must not leave a hold in memory:
  // the next case still gets the ICU bed.
  auto other = Open(gv1::STROKE, "other-call");
  EXPECT_EQ(other.emergency_case().placement().ward_id(), "icu-1");
}

TEST_F(GreenChannelServiceTest, DispatchOrAHospitalOpensCasesAndBadRequestsWriteNothing) {
  const int64_t head = Head();
  Open(Request(gv1::STROKE, "x"), StatusCode::PERMISSION_DENIED, "loudi-his");  // a hospital's system: no
  // The lead hospital transferring out of its own alliance has nowhere above it there: said so.
  Open(Request(gv1::STROKE, "x"), StatusCode::FAILED_PRECONDITION, "loudi-doc");
  Open(Request(gv1::STROKE, "x"), StatusCode::PERMISSION_DENIED, "auditor");
  Open(Request(gv1::STROKE, "x"), StatusCode::UNAUTHENTICATED, "");
  Open(Request(gv1::STROKE, "x"), StatusCode::UNAUTHENTICATED, "forged");
  Open(Request(gv1::STROKE, ""), StatusCode::INVALID_ARGUMENT);
  Open(Request(gv1::CONDITION_UNSPECIFIED, "a"), StatusCode::INVALID_ARGUMENT);
  Open(Request(static_cast<gv1::Condition>(42), "b"), StatusCode::INVALID_ARGUMENT);
  auto far = Request(gv1::STROKE, "c");
  far.mutable_location()->set_latitude(200);
  Open(far, StatusCode::INVALID_ARGUMENT);
  auto severe = Request(gv1::STROKE, "d");
  severe.set_severity(9);
  Open(severe, StatusCode::INVALID_ARGUMENT);
  auto nowhere = Request(gv1::STROKE, "e", "no-such-consortium");
  Open(nowhere, StatusCode::NOT_FOUND);
  auto anonymous = Request(gv1::STROKE, "f");
  anonymous.clear_dispatch_centre();
  Open(anonymous, StatusCode::INVALID_ARGUMENT);
  auto no_contact = Request(gv1::STROKE, "g");
  no_contact.clear_first_medical_contact_at();
  Open(no_contact, StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Head(), head);
  EXPECT_EQ(Ward("loudi-1st", "stroke-1").held(), 0);
}

TEST_F(GreenChannelServiceTest, OversizedFieldsAreRefusedAndWriteNothing) {
  auto c = Open(gv1::STROKE, "sized-1");
  const int64_t head = Head();
  const std::string huge(1 << 20, 'x');  // a 1 MiB outcome was once journaled and stalled the relay
  gv1::CloseCaseRequest close;
  close.set_case_id(c.emergency_case().case_id());
  close.set_outcome(huge);
  gv1::CaseReply closed;
  auto status = node_->stub->CloseCase(As("dispatch").get(), close, &closed);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("outcome is 1048576 bytes; at most 500"), std::string::npos)
      << status.error_message();
  auto big_centre = Request(gv1::STROKE, "sized-2");
  big_centre.set_dispatch_centre(huge);
  Open(big_centre, StatusCode::INVALID_ARGUMENT);
  gv1::GetCaseRequest get;
  get.set_case_id(huge);
  gv1::CaseDetail detail;
  status = node_->stub->GetCase(As("dispatch").get(), get, &detail);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(status.error_message().size(), 200u) << "an error never echoes the whole input";
  EXPECT_EQ(Head(), head);
}

TEST_F(GreenChannelServiceTest, InstantsOutsideTheirWindowAreRefusedNamingIt) {
  auto c = Open(gv1::STROKE, "timed-1");
  const int64_t head = Head();
  auto future = Request(gv1::STROKE, "timed-2");
  YILIAN_SET_MS(future, first_medical_contact_at, int64_t{1} << 62);  // the year 146 million
  Open(future, StatusCode::INVALID_ARGUMENT);
  auto negative = Request(gv1::STROKE, "timed-3");
  YILIAN_SET_MS(negative, first_medical_contact_at, -5);
  gv1::CaseReply out;
  auto status = node_->stub->OpenCase(As("dispatch").get(), negative, &out);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("first_medical_contact_at is before 1970"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(Milestone(c, gv1::ARRIVAL, std::numeric_limits<int64_t>::max(), "dispatch"), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Head(), head);
  EXPECT_EQ(Ward("loudi-1st", "stroke-1").occupied(), 0) << "no admission at INT64_MAX";
}

TEST_F(GreenChannelServiceTest, EscalatesByRuleAndNeverRefuses) {
  node_->SetCapacity("loudi-1st", "stroke-1", 1, 0);
  node_->SetCapacity("loudi-1st", "icu-1", 1, 0);
  node_->SetCapacity("loudi-1st", "general-1", 1, 0);
  auto a = Open(gv1::STROKE, "a");
  auto b = Open(gv1::STROKE, "b");
  auto c = Open(gv1::STROKE, "c");
  auto d = Open(gv1::STROKE, "d");
  EXPECT_EQ(a.emergency_case().placement().step(), gv1::IN_CIRCLE);
  EXPECT_EQ(a.emergency_case().placement().ward_id(), "stroke-1");
  EXPECT_EQ(b.emergency_case().placement().step(), gv1::HIGHER_TIER);
  EXPECT_EQ(b.emergency_case().placement().ward_id(), "icu-1");
  EXPECT_EQ(c.emergency_case().placement().step(), gv1::HIGHER_TIER);
  EXPECT_EQ(c.emergency_case().placement().ward_id(), "general-1");
  EXPECT_EQ(d.emergency_case().placement().step(), gv1::LEAD_OVERFLOW);
  EXPECT_EQ(d.emergency_case().placement().institution_id(), "loudi-1st");
  EXPECT_TRUE(d.emergency_case().hold_id().empty());
  EXPECT_EQ(common::UnixMs(d.hold_expires_at()), 0);
  // Every step is an event: each case opened with its placement on record.
  for (const auto* x : {&a, &b, &c, &d}) {
    auto detail = Get(x->emergency_case().case_id());
    ASSERT_EQ(detail.timeline_size(), 1);
    EXPECT_TRUE(detail.timeline(0).event().has_opened());
    EXPECT_EQ(detail.timeline(0).actor(), "dispatcher@120-loudi");
  }
  for (const char* w : {"stroke-1", "icu-1", "general-1"}) EXPECT_EQ(Ward("loudi-1st", w).held(), 1) << w;
}

TEST_F(GreenChannelServiceTest, ArrivalAdmitsMilestonesGiveTheClocksAndDischargeFreesTheBed) {
  auto c = Open(gv1::STROKE, "call-7");
  const int64_t fmc = common::UnixMs(c.emergency_case().first_medical_contact_at());
  const int64_t door = fmc + 20 * 60000;
  EXPECT_EQ(Milestone(c, gv1::NEEDLE, door, "loudi-doc"), StatusCode::FAILED_PRECONDITION);  // before ARRIVAL
  EXPECT_EQ(Milestone(c, gv1::ARRIVAL, door, "xiangya-doc"), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Milestone(c, gv1::ARRIVAL, door, "auditor"), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Milestone(c, gv1::ARRIVAL, door, "loudi-doc", nullptr, 7), StatusCode::ABORTED);
  EXPECT_EQ(Milestone(c, gv1::ARRIVAL, fmc - 1, "loudi-doc"), StatusCode::INVALID_ARGUMENT);
  gv1::CaseReply arrived;
  ASSERT_EQ(Milestone(c, gv1::ARRIVAL, door, "loudi-doc", &arrived, 1), StatusCode::OK);
  EXPECT_EQ(arrived.emergency_case().status(), gv1::ARRIVED);
  EXPECT_EQ(arrived.emergency_case().admission_id(), c.emergency_case().case_id());  // what Discharge names
  auto ward = Ward("loudi-1st", "stroke-1");
  EXPECT_EQ(ward.held(), 0);
  EXPECT_EQ(ward.occupied(), 1);
  EXPECT_EQ(Milestone(c, gv1::ARRIVAL, door, "loudi-doc"), StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Milestone(c, gv1::BALLOON, door + 1, "loudi-doc"), StatusCode::INVALID_ARGUMENT);  // stroke
  gv1::CaseReply imaged;
  ASSERT_EQ(Milestone(c, gv1::IMAGING, door + 30 * 60000, "loudi-doc", &imaged), StatusCode::OK);
  EXPECT_EQ(imaged.clocks().door_to_imaging_min(), 30);
  EXPECT_EQ(imaged.clocks().imaging_target_min(), 25);
  EXPECT_FALSE(imaged.clocks().imaging_target_met());  // the CT came 5 minutes late
  gv1::CaseReply treated;
  ASSERT_EQ(Milestone(c, gv1::NEEDLE, door + 45 * 60000, "dispatch", &treated), StatusCode::OK);
  EXPECT_EQ(treated.clocks().door_to_needle_min(), 45);
  EXPECT_EQ(treated.clocks().target_min(), 60);
  EXPECT_TRUE(treated.clocks().target_met());
  EXPECT_EQ(treated.clocks().fmc_to_balloon_min(), -1);  // a stroke has no balloon

  gv1::DoorToTreatmentRequest report_req;
  gv1::DoorToTreatmentReport report;
  ASSERT_TRUE(node_->stub->GetDoorToTreatment(As("auditor").get(), report_req, &report).ok());
  ASSERT_EQ(report.rows_size(), 2);  // door-to-imaging, door-to-needle
  EXPECT_EQ(report.rows(0).institution_id(), "loudi-1st");
  EXPECT_EQ(report.rows(0).condition(), gv1::STROKE);
  EXPECT_EQ(report.rows(0).clock(), "door-to-imaging");
  EXPECT_EQ(report.rows(0).target_min(), 25);
  EXPECT_EQ(report.rows(0).target_met(), 0);
  EXPECT_EQ(report.rows(1).clock(), "door-to-needle");
  EXPECT_EQ(report.rows(1).cases(), 1);
  EXPECT_EQ(report.rows(1).target_met(), 1);
  EXPECT_EQ(report.rows(1).median_min(), 45);
  report_req.set_institution_id("loudi-1st");
  EXPECT_EQ(node_->stub->GetDoorToTreatment(As("xiangya-doc").get(), report_req, &report).error_code(),
            StatusCode::PERMISSION_DENIED);
  YILIAN_SET_MS(report_req, to, 1);
  YILIAN_SET_MS(report_req, from, 5);
  EXPECT_EQ(node_->stub->GetDoorToTreatment(As("auditor").get(), report_req, &report).error_code(),
            StatusCode::INVALID_ARGUMENT);

  gv1::DischargeRequest dis;
  dis.set_institution_id("loudi-1st");
  dis.set_admission_id(arrived.emergency_case().admission_id());  // no ward: the one it occupies
  dis.set_reason("discharged home");
  gv1::WardStatus after;
  EXPECT_EQ(node_->stub->Discharge(As("xiangya-doc").get(), dis, &after).error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(node_->stub->Discharge(As("dispatch").get(), dis, &after).error_code(), StatusCode::PERMISSION_DENIED);
  // Another hospital's system, and a platform service, free no bed here; the hospital's own does.
  EXPECT_EQ(node_->stub->Discharge(As("xiangya-his").get(), dis, &after).error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(node_->stub->Discharge(As("service").get(), dis, &after).error_code(), StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(node_->stub->Discharge(As("loudi-his").get(), dis, &after).ok());
  EXPECT_EQ(after.occupied(), 0);
  EXPECT_EQ(node_->stub->Discharge(As("loudi-doc").get(), dis, &after).error_code(), StatusCode::NOT_FOUND);
  dis.set_ward_id("no-such-ward");
  EXPECT_EQ(node_->stub->Discharge(As("loudi-doc").get(), dis, &after).error_code(), StatusCode::NOT_FOUND);

  gv1::CloseCaseRequest close;
  close.set_case_id(c.emergency_case().case_id());
  close.set_outcome("thrombolysed, discharged");
  gv1::CaseReply closed;
  ASSERT_TRUE(node_->stub->CloseCase(As("loudi-doc").get(), close, &closed).ok());
  EXPECT_EQ(closed.emergency_case().status(), gv1::CLOSED);
  EXPECT_EQ(node_->stub->CloseCase(As("loudi-doc").get(), close, &closed).error_code(),
            StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Get(c.emergency_case().case_id()).timeline_size(), 5);  // opened, arrival, imaging, needle, closed
}

TEST_F(GreenChannelServiceTest, RedirectReleasesTheOldHoldAndCloseReleasesTheNew) {
  auto c = Open(Request(gv1::STEMI, "stemi-1", ""));
  ASSERT_EQ(c.emergency_case().placement().institution_id(), "loudi-1st");
  ASSERT_EQ(Ward("loudi-1st", "ccu-1").held(), 1);
  gv1::RedirectCaseRequest r;
  r.set_case_id(c.emergency_case().case_id());
  r.set_reason("cath lab down");
  r.set_expected_version(1);
  r.set_request_id("redirect-1");
  gv1::CaseReply moved;
  EXPECT_EQ(node_->stub->RedirectCase(As("xiangya-doc").get(), r, &moved).error_code(), StatusCode::PERMISSION_DENIED);
  // Only the service's own timer acts on any case, not a caller who takes its name.
  EXPECT_EQ(node_->stub->RedirectCase(As("impostor").get(), r, &moved).error_code(), StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(node_->stub->RedirectCase(As("loudi-doc").get(), r, &moved).ok());
  EXPECT_NE(moved.emergency_case().placement().institution_id(), "loudi-1st");
  EXPECT_EQ(moved.version(), 2);
  EXPECT_EQ(Ward("loudi-1st", "ccu-1").held(), 0);
  const auto& p = moved.emergency_case().placement();
  EXPECT_EQ(Ward(p.institution_id(), p.ward_id()).held(), 1);
  gv1::CaseReply again;  // a retry: same answer, nothing more
  ASSERT_TRUE(node_->stub->RedirectCase(As("loudi-doc").get(), r, &again).ok());
  EXPECT_EQ(again.SerializeAsString(), moved.SerializeAsString());
  r.set_request_id("redirect-2");
  EXPECT_EQ(node_->stub->RedirectCase(As("dispatch").get(), r, &again).error_code(), StatusCode::ABORTED);

  gv1::CloseCaseRequest close;
  close.set_case_id(c.emergency_case().case_id());
  close.set_outcome("died before arrival");
  gv1::CaseReply closed;
  ASSERT_TRUE(node_->stub->CloseCase(As("dispatch").get(), close, &closed).ok());
  EXPECT_EQ(Ward(p.institution_id(), p.ward_id()).held(), 0);
  auto detail = Get(c.emergency_case().case_id(), "auditor");
  ASSERT_EQ(detail.timeline_size(), 3);
  EXPECT_TRUE(detail.timeline(1).event().has_redirected());
  EXPECT_EQ(detail.timeline(1).event().redirected().reason(), "cath lab down");
}

TEST_F(GreenChannelServiceTest, AnExpiredEmergencyHoldIsReplacedAndAReferralHoldReleased) {
  auto c = Open(gv1::STROKE, "late");
  node_->clock.Advance(absl::Minutes(61));
  ASSERT_TRUE(WaitFor([&] { return Get(c.emergency_case().case_id()).current().version() == 2; }));
  auto detail = Get(c.emergency_case().case_id());
  EXPECT_EQ(detail.timeline(1).event().redirected().reason(), "the bed hold expired before arrival");
  EXPECT_NE(detail.current().emergency_case().hold_id(), c.emergency_case().hold_id());
  auto ward = Ward("loudi-1st", "stroke-1");
  ASSERT_EQ(ward.held(), 1);  // the new hold only
  EXPECT_EQ(ward.board().holds(0).hold_id(), detail.current().emergency_case().hold_id());
  EXPECT_EQ(common::UnixMs(detail.current().hold_expires_at()), Now() + 60 * 60000);

  ASSERT_OK(node_->SendReferral(Requested("r1", Now() + 2 * 3600000), "ref-r1"));
  EXPECT_EQ(BedRequest("r1").request().status(), gv1::RESERVED);
  EXPECT_EQ(Ward("loudi-1st", "general-1").held(), 1);
  node_->clock.Advance(absl::Hours(3));
  ASSERT_TRUE(WaitFor([&] { return BedRequest("r1").request().status() == gv1::RELEASED; }));
  EXPECT_EQ(BedRequest("r1").request().reason(), "expired");
  EXPECT_EQ(Ward("loudi-1st", "general-1").held(), 0);
}

TEST_F(GreenChannelServiceTest, AnExpiredHoldThatCannotBeReplacedLeavesTheCaseInOverflowNotWaitingForABed) {
  auto req = Request(gv1::STROKE, "zhanghe-call", "zhanghe");
  req.mutable_location()->set_latitude(31.0);
  req.mutable_location()->set_longitude(112.1);
  auto c = Open(req);
  ASSERT_EQ(c.emergency_case().placement().institution_id(), "zhanghe-city-1st");
  for (const char* id : {"zhanghe-city-1st", "zhanghe-thc"}) {  // nowhere left to place anyone
    registry::v1::SuspendInstitutionRequest s;
    s.set_institution_id(id);
    s.set_reason("drill");
    registry::v1::InstitutionReply out;
    ASSERT_TRUE(node_->registry.stub->SuspendInstitution(As("admin").get(), s, &out).ok());
  }
  node_->Sync();
  node_->clock.Advance(absl::Minutes(61));
  ASSERT_TRUE(WaitFor([&] { return Get(c.emergency_case().case_id()).current().version() == 2; }));
  auto now = Get(c.emergency_case().case_id()).current();
  EXPECT_EQ(now.emergency_case().placement().step(), gv1::LEAD_OVERFLOW);
  EXPECT_EQ(now.emergency_case().placement().institution_id(), "zhanghe-city-1st");
  EXPECT_TRUE(now.emergency_case().hold_id().empty());
  EXPECT_EQ(Ward("zhanghe-city-1st", "stroke-1").held(), 0);
  gv1::CaseReply arrived;  // arrival looks for no hold
  ASSERT_EQ(Milestone(now, gv1::ARRIVAL, Now(), "dispatch", &arrived), StatusCode::OK);
  EXPECT_EQ(arrived.emergency_case().status(), gv1::ARRIVED);
  EXPECT_EQ(Ward("zhanghe-city-1st", "stroke-1").occupied(), 0);
}

TEST_F(GreenChannelServiceTest, ReferralBedRequestsTakeGeneralBedsOnlyAndFollowTheReferral) {
  node_->SetCapacity("loudi-1st", "general-1", 3, 1);
  ASSERT_OK(node_->SendReferral(Requested("q1"), "ref-q1"));
  ASSERT_OK(node_->SendReferral(Requested("q2"), "ref-q2"));
  ASSERT_OK(node_->SendReferral(Requested("q3"), "ref-q3"));
  EXPECT_EQ(BedRequest("q1").request().status(), gv1::RESERVED);
  EXPECT_EQ(BedRequest("q1").request().ward_id(), "general-1");
  EXPECT_EQ(BedRequest("q2").request().status(), gv1::RESERVED);
  auto declined = BedRequest("q3").request();
  EXPECT_EQ(declined.status(), gv1::DECLINED);
  EXPECT_NE(declined.reason().find("no free bed"), std::string::npos) << declined.reason();
  // A redelivered request is answered once.
  ASSERT_OK(node_->SendReferral(Requested("q1"), "ref-q1"));
  EXPECT_EQ(BedRequest("q1").version(), 1);
  EXPECT_EQ(Ward("loudi-1st", "general-1").held(), 2);

  fv1::BedRequestCancelled cancel;
  cancel.set_request_id("q1");
  cancel.set_referral_id("ref-q1");
  cancel.set_reason("patient declined");
  ASSERT_OK(node_->SendReferral(cancel, "ref-q1"));
  EXPECT_EQ(BedRequest("q1").request().status(), gv1::RELEASED);
  EXPECT_EQ(BedRequest("q1").request().reason(), "cancelled: patient declined");
  fv1::ReferredPatientAdmitted admitted;
  admitted.set_request_id("q2");
  admitted.set_referral_id("ref-q2");
  ASSERT_OK(node_->SendReferral(admitted, "ref-q2"));
  EXPECT_EQ(BedRequest("q2").request().status(), gv1::TAKEN_UP);
  auto ward = Ward("loudi-1st", "general-1");
  EXPECT_EQ(ward.held(), 0);
  EXPECT_EQ(ward.occupied(), 1);

  auto wrong_kind = Requested("q4");
  wrong_kind.set_institution_id("qiaotouhe-thc");
  wrong_kind.set_ward_kind(rv1::WARD_ICU);
  ASSERT_OK(node_->SendReferral(wrong_kind, "ref-q4"));
  EXPECT_EQ(BedRequest("q4").request().status(), gv1::DECLINED);
  auto past = Requested("q5", Now() - 1);
  ASSERT_OK(node_->SendReferral(past, "ref-q5"));
  EXPECT_EQ(BedRequest("q5").request().status(), gv1::DECLINED);
  fv1::BedRequested malformed;  // no request id: refused, so the consumer parks it
  malformed.set_referral_id("ref-x");
  EXPECT_CODE(node_->SendReferral(malformed, "ref-x"), kInvalidArgument);

  gv1::GetBedRequestRequest get;
  get.set_request_id("q2");
  gv1::BedRequestReply out;
  EXPECT_TRUE(node_->stub->GetBedRequest(As("loudi-doc").get(), get, &out).ok());
  EXPECT_EQ(node_->stub->GetBedRequest(As("xiangya-doc").get(), get, &out).error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(node_->stub->GetBedRequest(As("dispatch").get(), get, &out).error_code(), StatusCode::PERMISSION_DENIED);
  get.set_request_id("nope");
  EXPECT_EQ(node_->stub->GetBedRequest(As("service").get(), get, &out).error_code(), StatusCode::NOT_FOUND);
}

TEST_F(GreenChannelServiceTest, ACapacityCutIsReconciledWithoutEvictingAnyone) {
  node_->SetCapacity("loudi-1st", "stroke-1", 3, 0);
  auto a = Open(gv1::STROKE, "a");
  auto b = Open(gv1::STROKE, "b");
  node_->SetCapacity("loudi-1st", "stroke-1", 1, 0);
  auto w = Ward("loudi-1st", "stroke-1");
  EXPECT_TRUE(w.over_capacity());
  EXPECT_EQ(w.held(), 2);  // nobody evicted
  EXPECT_EQ(w.free_general() + w.free_reserve(), 0);
  auto c = Open(gv1::STROKE, "c");
  EXPECT_NE(c.emergency_case().placement().ward_id(), "stroke-1");
  gv1::CloseCaseRequest close;
  close.set_case_id(a.emergency_case().case_id());
  close.set_outcome("transferred");
  gv1::CaseReply closed;
  ASSERT_TRUE(node_->stub->CloseCase(As("dispatch").get(), close, &closed).ok());
  w = Ward("loudi-1st", "stroke-1");
  EXPECT_FALSE(w.over_capacity());
  EXPECT_EQ(w.held(), 1);
}

// Every hold counts on the board for everyone, but what it is for (a case or referral id) is
// shown only to those involved: the ward's hospital, dispatch for an emergency, the services.
TEST_F(GreenChannelServiceTest, TheBoardShowsWhatAHoldIsForOnlyToThoseInvolved) {
  auto c = Open(gv1::STROKE, "call-subject");
  gv1::BedBoardRequest req;
  req.set_institution_id("loudi-1st");
  req.set_ward_kind(rv1::WARD_STROKE_UNIT);
  const auto subjects = [&](const std::string& token) {
    gv1::BedBoard board;
    EXPECT_TRUE(node_->stub->GetBedBoard(As(token).get(), req, &board).ok()) << token;
    std::vector<std::string> out;
    for (const auto& w : board.wards())
      for (const auto& h : w.board().holds()) {
        out.push_back(h.subject_id());
        // The hold id names the case too ("<case>#n"): shown with the subject, or not at all.
        EXPECT_EQ(h.hold_id().empty(), h.subject_id().empty()) << token << ": " << h.hold_id();
      }
    return out;
  };
  const std::vector<std::string> the_case = {c.emergency_case().case_id()};
  EXPECT_EQ(subjects("dispatch"), the_case);
  EXPECT_EQ(subjects("loudi-doc"), the_case);  // the ward's own hospital
  EXPECT_EQ(subjects("service"), the_case);
  EXPECT_EQ(subjects("xiangya-doc"), std::vector<std::string>{""});  // counted, not named
  EXPECT_EQ(subjects("auditor"), std::vector<std::string>{""});
}

// A suspended institution's staff reach nothing of the green channel (cases, identities, the
// board) until it is reactivated; dispatch keeps working.
TEST_F(GreenChannelServiceTest, ASuspendedInstitutionsStaffReachNothing) {
  auto c = Open(gv1::STROKE, "call-suspended");
  ASSERT_EQ(c.emergency_case().placement().institution_id(), "loudi-1st");
  gv1::GetCaseRequest get;
  get.set_case_id(c.emergency_case().case_id());
  gv1::CaseDetail out;
  EXPECT_EQ(node_->stub->GetCase(As("loudi-doc").get(), get, &out).error_code(), StatusCode::OK);
  registry::v1::SuspendInstitutionRequest sus;
  sus.set_institution_id("loudi-1st");
  sus.set_reason("inspection");
  registry::v1::InstitutionReply inst;
  ASSERT_TRUE(node_->registry.stub->SuspendInstitution(As("admin").get(), sus, &inst).ok());
  node_->Sync();
  out.Clear();
  EXPECT_EQ(node_->stub->GetCase(As("loudi-doc").get(), get, &out).error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_FALSE(out.has_current());
  gv1::ListOpenCasesRequest open;
  gv1::ListCasesResponse list;
  EXPECT_EQ(node_->stub->ListOpenCases(As("loudi-doc").get(), open, &list).error_code(), StatusCode::PERMISSION_DENIED);
  gv1::BedBoardRequest board_req;
  board_req.set_institution_id("loudi-1st");
  gv1::BedBoard board;
  EXPECT_EQ(node_->stub->GetBedBoard(As("loudi-doc").get(), board_req, &board).error_code(),
            StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(c.emergency_case().case_id()).current().emergency_case().case_id(), c.emergency_case().case_id());
  registry::v1::ReactivateInstitutionRequest re;
  re.set_institution_id("loudi-1st");
  ASSERT_TRUE(node_->registry.stub->ReactivateInstitution(As("admin").get(), re, &inst).ok());
  node_->Sync();
  EXPECT_EQ(node_->stub->GetCase(As("loudi-doc").get(), get, &out).error_code(), StatusCode::OK);
}

TEST_F(GreenChannelServiceTest, BoardQueriesFilterAndTheWatchStreamsChanges) {
  gv1::BedBoardRequest req;
  req.set_consortium_id("loudi-alliance");
  gv1::BedBoard board;
  ASSERT_TRUE(node_->stub->GetBedBoard(As("loudi-doc").get(), req, &board).ok());
  EXPECT_GT(board.as_of_sequence(), 0);
  std::set<std::string> institutions;
  for (const auto& w : board.wards()) institutions.insert(w.board().institution_id());
  EXPECT_TRUE(institutions.count("loudi-1st"));
  EXPECT_FALSE(institutions.count("ruijin"));
  req.set_ward_kind(rv1::WARD_STROKE_UNIT);
  ASSERT_TRUE(node_->stub->GetBedBoard(As("loudi-doc").get(), req, &board).ok());
  ASSERT_EQ(board.wards_size(), 1);
  EXPECT_EQ(board.wards(0).board().capacity(), 30);
  EXPECT_EQ(board.wards(0).free_general(), 26);
  EXPECT_EQ(board.wards(0).free_reserve(), 4);
  req.set_consortium_id("nope");
  EXPECT_EQ(node_->stub->GetBedBoard(As("loudi-doc").get(), req, &board).error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(node_->stub->GetBedBoard(As("").get(), req, &board).error_code(), StatusCode::UNAUTHENTICATED);

  gv1::BedBoardRequest watch_req;
  watch_req.set_institution_id("loudi-1st");
  watch_req.set_ward_kind(rv1::WARD_STROKE_UNIT);
  auto ctx = As("dispatch");
  auto stream = node_->stub->WatchBedBoard(ctx.get(), watch_req);
  gv1::WardStatus update;
  ASSERT_TRUE(stream->Read(&update));
  EXPECT_EQ(update.held(), 0);
  Open(gv1::STROKE, "watched");
  ASSERT_TRUE(stream->Read(&update));
  EXPECT_EQ(update.board().ward_id(), "stroke-1");
  EXPECT_EQ(update.held(), 1);
  ctx->TryCancel();
  while (stream->Read(&update)) {
  }
}

// A watch whose caller set no deadline still ends: at limits.max_call_seconds, with
// DEADLINE_EXCEEDED, so no stream holds a server thread for ever.
TEST_F(GreenChannelServiceTest, AWatchWithoutADeadlineEndsAtTheServersLongestCall) {
  const absl::Duration before = host::MaxCallDuration();
  host::SetMaxCallDuration(absl::Seconds(1));
  gv1::BedBoardRequest watch_req;
  watch_req.set_institution_id("loudi-1st");
  auto ctx = As("dispatch");  // no deadline
  const absl::Time start = absl::Now();
  auto stream = node_->stub->WatchBedBoard(ctx.get(), watch_req);
  gv1::WardStatus update;
  int snapshot = 0;
  while (stream->Read(&update)) ++snapshot;
  const grpc::Status end = stream->Finish();
  host::SetMaxCallDuration(before);
  EXPECT_GT(snapshot, 0);
  EXPECT_EQ(end.error_code(), StatusCode::DEADLINE_EXCEEDED) << end.error_message();
  EXPECT_GE(absl::Now() - start, absl::Seconds(1));
  // A caller's earlier deadline still wins (the client library reports it).
  auto short_ctx = As("dispatch");
  short_ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
  auto short_stream = node_->stub->WatchBedBoard(short_ctx.get(), watch_req);
  while (short_stream->Read(&update)) {
  }
  EXPECT_EQ(short_stream->Finish().error_code(), StatusCode::DEADLINE_EXCEEDED);
}

TEST_F(GreenChannelServiceTest, CasesAreSeenOnlyByThoseInvolvedAndListedPerDispatchCentre) {
  auto a = Open(gv1::STROKE, "a");
  auto b = Open(gv1::STROKE, "b");
  Open(gv1::STROKE, "c");
  gv1::GetCaseRequest get;
  get.set_case_id(a.emergency_case().case_id());
  gv1::CaseDetail detail;
  EXPECT_EQ(node_->stub->GetCase(As("xiangya-doc").get(), get, &detail).error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(node_->stub->GetCase(As("admin").get(), get, &detail).error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(node_->stub->GetCase(As("loudi-doc").get(), get, &detail).ok());
  get.set_case_id("case-nope");
  EXPECT_EQ(node_->stub->GetCase(As("dispatch").get(), get, &detail).error_code(), StatusCode::NOT_FOUND);

  gv1::ListOpenCasesRequest list;
  list.set_dispatch_centre("120-loudi");
  list.mutable_page()->set_page_size(2);
  gv1::ListCasesResponse page1, page2;
  ASSERT_TRUE(node_->stub->ListOpenCases(As("dispatch").get(), list, &page1).ok());
  ASSERT_EQ(page1.cases_size(), 2);
  ASSERT_FALSE(page1.page().next_page_token().empty());
  list.mutable_page()->set_page_token(page1.page().next_page_token());
  ASSERT_TRUE(node_->stub->ListOpenCases(As("auditor").get(), list, &page2).ok());
  ASSERT_EQ(page2.cases_size(), 1);
  EXPECT_TRUE(page2.page().next_page_token().empty());
  EXPECT_GT(common::UnixMs(page2.cases(0).hold_expires_at()), 0);
  EXPECT_EQ(node_->stub->ListOpenCases(As("loudi-doc").get(), list, &page2).error_code(),
            StatusCode::PERMISSION_DENIED);
  list.clear_dispatch_centre();
  EXPECT_EQ(node_->stub->ListOpenCases(As("dispatch").get(), list, &page2).error_code(), StatusCode::INVALID_ARGUMENT);
  list.set_dispatch_centre("120-other");
  EXPECT_EQ(node_->stub->ListOpenCases(As("dispatch").get(), list, &page2).error_code(), StatusCode::INVALID_ARGUMENT);
  list.mutable_page()->clear_page_token();
  ASSERT_TRUE(node_->stub->ListOpenCases(As("dispatch").get(), list, &page2).ok());
  EXPECT_EQ(page2.cases_size(), 0);
  (void)b;
}

TEST_F(GreenChannelServiceTest, HoldsAndTheirTimersSurviveARestartAndARebuildGivesTheSameBoard) {
  auto c = Open(gv1::STROKE, "before-restart");
  ASSERT_OK(node_->SendReferral(Requested("kept", Now() + 2 * 3600000), "ref-kept"));
  node_->Stop();
  node_->clock.Advance(absl::Minutes(90));  // both holds fall due while the service is down
  node_->Start(false);
  ASSERT_TRUE(WaitFor([&] { return Get(c.emergency_case().case_id()).current().version() == 2; }));
  EXPECT_EQ(BedRequest("kept").request().status(), gv1::RESERVED);  // not due yet
  node_->clock.Advance(absl::Minutes(31));
  ASSERT_TRUE(WaitFor([&] { return BedRequest("kept").request().status() == gv1::RELEASED; }));

  node_->Stop();
  std::string before;
  {
    auto store = eventstore::Store::Open({.path = dir_.Sub("node") + "/greenchannel"});
    ASSERT_OK(store.status());
    before = *(*store)->Dump(eventstore::Family::kProjection);
  }
  node_->Start(true);
  node_->Stop();
  auto store = eventstore::Store::Open({.path = dir_.Sub("node") + "/greenchannel"});
  ASSERT_OK(store.status());
  EXPECT_EQ(*(*store)->Dump(eventstore::Family::kProjection), before);
  store->reset();
  node_->Start(false);
}

}  // namespace
}  // namespace yilian::greenchannel
