// The receiving hospital sees its emergencies: a destination lists and watches the cases on
// their way to it (with the ETA from the placement's travel time), acknowledges the
// pre-notification, and is told at once when a case is redirected away from it, while the new
// destination sees the case arrive on its own watch; an arrival ends the case's inbound life.
#include <gtest/gtest.h>

#include "greenchannel_node.h"
#include "yilian/common/timestamp.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::greenchannel {

namespace gv1 = ::yilian::greenchannel::v1;
namespace {

using grpc::StatusCode;

class GreenChannelInboundTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<GreenChannelNode>(dir_.Sub("node"));
    node_->ImportSample(YILIAN_SAMPLE_FILE);
  }
  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) { return GreenChannelNode::As(token); }
  int64_t Now() const { return absl::ToUnixMillis(node_->clock.Now()); }

  struct Watch {
    std::unique_ptr<grpc::ClientContext> ctx;
    std::unique_ptr<grpc::ClientReader<gv1::InboundCaseChange>> stream;
    gv1::InboundCaseChange Next() {
      gv1::InboundCaseChange c;
      EXPECT_TRUE(stream->Read(&c)) << "the watch ended";
      return c;
    }
  };
  Watch Open(const std::string& token) {
    Watch w{As(token), nullptr};
    w.ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));  // a hang fails, not blocks
    w.stream = node_->stub->WatchInboundCases(w.ctx.get(), gv1::WatchInboundCasesRequest());
    auto synced = w.Next();
    EXPECT_TRUE(synced.synced());  // nothing coming yet
    return w;
  }
  gv1::ListCasesResponse List(const std::string& token, const std::string& institution, StatusCode want) {
    gv1::ListInboundCasesRequest req;
    req.set_institution_id(institution);
    gv1::ListCasesResponse out;
    auto s = node_->stub->ListInboundCases(As(token).get(), req, &out);
    EXPECT_EQ(s.error_code(), want) << s.error_message();
    return out;
  }
  StatusCode Acknowledge(const std::string& token, const std::string& case_id, const std::string& request_id,
                         gv1::CaseReply* out) {
    gv1::AcknowledgeCaseRequest req;
    req.set_case_id(case_id);
    req.set_request_id(request_id);
    return node_->stub->AcknowledgeCase(As(token).get(), req, out).error_code();
  }

  testing::TempDir dir_;
  std::unique_ptr<GreenChannelNode> node_;
};

TEST_F(GreenChannelInboundTest, TheDestinationWatchesAcknowledgesAndIsToldOfARedirectAway) {
  auto loudi = Open("loudi-doc");
  auto xiangya = Open("xiangya-doc");

  gv1::OpenCaseRequest open;
  open.set_condition(gv1::STEMI);
  open.set_severity(1);
  open.mutable_location()->set_latitude(27.70);  // a few km from Loudi First People's Hospital
  open.mutable_location()->set_longitude(111.95);
  YILIAN_SET_MS(open, first_medical_contact_at, Now() - 10 * 60000);
  open.set_dispatch_centre("120-loudi");
  open.set_consortium_id("loudi-xiangya-link");  // placed between the two hospitals
  open.set_request_id("stemi-1");
  gv1::CaseReply opened;
  ASSERT_TRUE(node_->stub->OpenCase(As("dispatch").get(), open, &opened).ok());
  const std::string id = opened.emergency_case().case_id();
  ASSERT_EQ(opened.emergency_case().placement().institution_id(), "loudi-1st");
  EXPECT_GT(common::UnixMs(opened.eta()), Now());  // placed now, plus the travel time
  EXPECT_EQ(common::UnixMs(opened.emergency_case().placement().placed_at()), Now());

  auto coming = loudi.Next();
  EXPECT_TRUE(coming.inbound());
  EXPECT_EQ(coming.emergency_case().emergency_case().case_id(), id);
  EXPECT_EQ(common::UnixMs(coming.emergency_case().eta()), common::UnixMs(opened.eta()));
  EXPECT_EQ(coming.emergency_case().emergency_case().condition(), gv1::STEMI);

  // The list: the hospital's own, dispatch any, nobody else.
  ASSERT_EQ(List("loudi-doc", "", StatusCode::OK).cases_size(), 1);
  ASSERT_EQ(List("dispatch", "loudi-1st", StatusCode::OK).cases_size(), 1);
  List("xiangya-doc", "loudi-1st", StatusCode::PERMISSION_DENIED);
  List("dispatch", "", StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(List("xiangya-doc", "", StatusCode::OK).cases_size(), 0);

  gv1::CaseReply acked;
  EXPECT_EQ(Acknowledge("xiangya-doc", id, "ack-x", &acked), StatusCode::PERMISSION_DENIED);
  ASSERT_EQ(Acknowledge("loudi-doc", id, "ack-1", &acked), StatusCode::OK);
  EXPECT_EQ(acked.emergency_case().acknowledged_by(), "loudi-1st");
  EXPECT_EQ(common::UnixMs(acked.emergency_case().acknowledged_at()), Now());
  auto noted = loudi.Next();
  EXPECT_TRUE(noted.inbound());
  EXPECT_EQ(noted.emergency_case().emergency_case().acknowledged_by(), "loudi-1st");

  // The cath lab goes down: redirected away; loudi-1st is told, xiangya-3rd sees it coming.
  gv1::RedirectCaseRequest r;
  r.set_case_id(id);
  r.set_reason("cath lab down");
  r.set_request_id("redirect-1");
  gv1::CaseReply moved;
  ASSERT_TRUE(node_->stub->RedirectCase(As("loudi-doc").get(), r, &moved).ok());
  ASSERT_EQ(moved.emergency_case().placement().institution_id(), "xiangya-3rd");
  EXPECT_TRUE(moved.emergency_case().acknowledged_by().empty());  // the new destination acknowledges afresh
  auto away = loudi.Next();
  EXPECT_FALSE(away.inbound());
  EXPECT_EQ(away.reason(), "redirected to xiangya-3rd");
  EXPECT_EQ(List("loudi-doc", "", StatusCode::OK).cases_size(), 0);
  auto now_coming = xiangya.Next();
  EXPECT_TRUE(now_coming.inbound());
  EXPECT_EQ(now_coming.emergency_case().emergency_case().case_id(), id);
  EXPECT_GT(common::UnixMs(now_coming.emergency_case().eta()), Now());

  // It arrives: no longer inbound.
  gv1::RecordMilestoneRequest arrival;
  arrival.set_case_id(id);
  arrival.set_milestone(gv1::ARRIVAL);
  YILIAN_SET_MS(arrival, at, Now());
  gv1::CaseReply arrived;
  ASSERT_TRUE(node_->stub->RecordMilestone(As("xiangya-doc").get(), arrival, &arrived).ok());
  auto here = xiangya.Next();
  EXPECT_FALSE(here.inbound());
  EXPECT_EQ(here.reason(), "arrived");
  EXPECT_EQ(common::UnixMs(arrived.eta()), 0);
  EXPECT_EQ(Acknowledge("xiangya-doc", id, "ack-late", &acked), StatusCode::FAILED_PRECONDITION);
  loudi.ctx->TryCancel();
  xiangya.ctx->TryCancel();
}

TEST_F(GreenChannelInboundTest, AHospitalOpensAnInterHospitalTransferItself) {
  auto xiangya = Open("xiangya-doc");
  gv1::OpenCaseRequest open;
  open.set_condition(gv1::STROKE);
  open.set_severity(2);
  YILIAN_SET_MS(open, first_medical_contact_at, Now() - 30 * 60000);
  open.set_consortium_id("loudi-xiangya-link");
  open.set_request_id("transfer-1");
  gv1::CaseReply out;
  EXPECT_EQ(node_->stub->OpenCase(As("loudi-his").get(), open, &out).error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(node_->stub->OpenCase(As("auditor").get(), open, &out).error_code(), StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(node_->stub->OpenCase(As("loudi-doc").get(), open, &out).ok());
  const auto& c = out.emergency_case();
  EXPECT_EQ(c.origin_institution_id(), "loudi-1st");
  EXPECT_EQ(c.dispatch_centre(), "loudi-1st");               // from there
  EXPECT_EQ(c.placement().institution_id(), "xiangya-3rd");  // never back to itself
  EXPECT_NEAR(c.location().latitude(), 27.7286, 0.01);       // the hospital's own place
  EXPECT_GT(common::UnixMs(out.eta()), Now());
  auto coming = xiangya.Next();
  EXPECT_TRUE(coming.inbound());
  EXPECT_EQ(coming.emergency_case().emergency_case().origin_institution_id(), "loudi-1st");
  gv1::GetCaseRequest get;
  get.set_case_id(c.case_id());
  gv1::CaseDetail detail;
  EXPECT_TRUE(node_->stub->GetCase(As("loudi-doc").get(), get, &detail).ok());  // the origin follows its patient
  gv1::ListOpenCasesRequest mine;
  mine.set_dispatch_centre("loudi-1st");  // the transfers it opened
  gv1::ListCasesResponse open_cases;
  ASSERT_TRUE(node_->stub->ListOpenCases(As("loudi-doc").get(), mine, &open_cases).ok());
  ASSERT_EQ(open_cases.cases_size(), 1);
  mine.set_dispatch_centre("120-loudi");  // dispatch's own list is dispatch's
  EXPECT_EQ(node_->stub->ListOpenCases(As("loudi-doc").get(), mine, &open_cases).error_code(),
            StatusCode::PERMISSION_DENIED);
  xiangya.ctx->TryCancel();
}

// Each sync watch holds a server thread: past GreenChannelService::kMaxWatches open at once
// (inbound and bed-board watches together) the next is refused at once, and a closed one
// makes room again.
TEST_F(GreenChannelInboundTest, WatchesAreCappedAndAClosedOneMakesRoom) {
  std::vector<Watch> open;
  for (int i = 0; i < GreenChannelService::kMaxWatches; ++i) open.push_back(Open("loudi-doc"));
  gv1::BedBoardRequest board;
  board.set_institution_id("loudi-1st");
  auto ctx = As("dispatch");
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto refused = node_->stub->WatchBedBoard(ctx.get(), board);
  gv1::WardStatus ward;
  EXPECT_FALSE(refused->Read(&ward));
  const grpc::Status s = refused->Finish();
  EXPECT_EQ(s.error_code(), StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  open.back().ctx->TryCancel();
  gv1::InboundCaseChange drained;
  while (open.back().stream->Read(&drained)) {
  }
  EXPECT_EQ(open.back().stream->Finish().error_code(), StatusCode::CANCELLED);
  open.pop_back();
  // The server counts the slot free once the cancelled handler returns: wait for that.
  EXPECT_TRUE(testing::WaitFor([&] {
    Watch w{As("loudi-doc"), nullptr};
    w.ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    w.stream = node_->stub->WatchInboundCases(w.ctx.get(), gv1::WatchInboundCasesRequest());
    gv1::InboundCaseChange c;
    if (!w.stream->Read(&c)) return false;
    open.push_back(std::move(w));
    return true;
  }));
  for (auto& w : open) w.ctx->TryCancel();
}

}  // namespace
}  // namespace yilian::greenchannel
