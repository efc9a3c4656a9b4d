// Worklists that push, over gRPC: WatchWorklist sends the current page, then every change of the
// institution's referrals exactly once; a watch cut off mid-stream and resumed from its last
// position misses and repeats nothing (compared with the journal); a filtered watch says when a
// referral leaves the filter; one referral can be watched by those with a side of it; and the
// worklists take the filters a referral office uses.
#include <gtest/gtest.h>

#include "referral_node.h"
#include "yilian/common/oneof_event.h"
#include "yilian/domain/referral/referral.h"
#include "yilian/testing/grpc_matchers.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::referral {

namespace fv1 = ::yilian::referral::v1;
namespace {

using Stream = grpc::ClientReader<fv1::WorklistChange>;

class ReferralWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<ReferralNode>(dir_.path(), absl::FromUnixSeconds(1'795'000'000));
    node_->ImportSample(YILIAN_SAMPLE_FILE);
  }

  fv1::ReferralReply Submit(const std::string& token, const std::string& receiver, const std::string& request_id,
                            fv1::Priority priority = fv1::URGENT) {
    fv1::SubmitReferralRequest req;
    auto* r = req.mutable_referral();
    r->set_direction(fv1::UPWARD);
    r->set_receiver_institution_id(receiver);
    r->mutable_patient()->set_value("pt-7f3a9c");
    r->set_reason("chest pain on exertion");
    *r->add_diagnoses() = ::yilian::domain::referral::Icd10("I20.9");
    r->set_priority(priority);
    r->set_requested_service(fv1::EXAMINATION);
    req.set_request_id(request_id);
    fv1::ReferralReply out;
    EXPECT_GRPC(node_->stub->Submit(ReferralNode::As(token).get(), req, &out), OK);
    return out;
  }
  template <typename Request>
  void Act(const std::string& token, const fv1::ReferralReply& r, const std::string& request_id,
           grpc::Status (fv1::Referrals::Stub::*rpc)(grpc::ClientContext*, const Request&, fv1::ReferralReply*)) {
    Request req;
    req.set_referral_id(r.referral().referral_id());
    req.set_request_id(request_id);
    fv1::ReferralReply out;
    EXPECT_GRPC(((node_->stub.get())->*rpc)(ReferralNode::As(token).get(), req, &out), OK);
  }
  struct Watch {
    std::unique_ptr<grpc::ClientContext> ctx;
    std::unique_ptr<Stream> stream;
  };
  Watch Open(const std::string& token, const fv1::WatchWorklistRequest& req) {
    Watch w{ReferralNode::As(token), nullptr};
    w.ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));  // a hang fails, not blocks
    w.stream = node_->stub->WatchWorklist(w.ctx.get(), req);
    return w;
  }
  // Reads until `synced`: the current page.
  std::vector<fv1::WorklistChange> Page(Watch& w) {
    std::vector<fv1::WorklistChange> page;
    fv1::WorklistChange c;
    while (w.stream->Read(&c)) {
      if (c.synced()) return page;
      page.push_back(c);
    }
    ADD_FAILURE() << "the stream ended before its page was complete";
    return page;
  }
  std::vector<fv1::WorklistChange> Read(Watch& w, size_t n) {
    std::vector<fv1::WorklistChange> out;
    fv1::WorklistChange c;
    while (out.size() < n && w.stream->Read(&c)) out.push_back(c);
    EXPECT_EQ(out.size(), n);
    return out;
  }
  // The journal's referral entries after `position` naming `institution` as a party:
  // "<sequence> <referral> v<version>".
  std::vector<std::string> Journal(int64_t position, const std::string& institution) {
    std::vector<std::string> out;
    EXPECT_OK(node_->stack->journal()
                  .Read(position + 1, 0,
                        [&](const eventstore::JournalEntry& e) {
                          auto env = eventstore::ParseEnvelope(e.envelope);
                          EXPECT_OK(env.status());
                          if (env.ok() && env->aggregate_type() == "referral" &&
                              std::count(env->institution_ids().begin(), env->institution_ids().end(), institution))
                            out.push_back(
                                absl::StrCat(e.sequence, " ", env->aggregate_id(), " v", env->aggregate_version()));
                          return true;
                        })
                  .status());
    return out;
  }
  static std::vector<std::string> Seen(const std::vector<fv1::WorklistChange>& changes) {
    std::vector<std::string> out;
    for (const auto& c : changes)
      out.push_back(
          absl::StrCat(c.position(), " ", c.referral().referral().referral_id(), " v", c.referral().version()));
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<ReferralNode> node_;
};

TEST_F(ReferralWatchTest, ThePageThenEveryChangeOnceAcrossADisconnect) {
  auto a = Submit("qiaotouhe-doc", "loudi-1st", "a");
  auto b = Submit("dutoutang-doc", "loudi-1st", "b");
  Submit("wuliqiao-doc", "ruijin", "elsewhere");  // not loudi-1st's

  fv1::WatchWorklistRequest req;
  req.set_side(fv1::INCOMING);
  auto w = Open("loudi-office", req);
  auto page = Page(w);
  ASSERT_EQ(page.size(), 2u);
  const int64_t start = page[0].position();
  EXPECT_TRUE(page[0].event_type().empty());
  EXPECT_FALSE(page[0].referral().has_identity());  // no identities on a watch

  Act("loudi-doc", a, "ack-a", &fv1::Referrals::Stub::Acknowledge);
  Act("loudi-doc", b, "acc-b", &fv1::Referrals::Stub::Accept);  // received + accepted: two changes
  auto c = Submit("qiaotouhe-doc", "loudi-1st", "c");
  Submit("huaihai-doc", "ruijin", "elsewhere-2");
  auto first = Read(w, 4);
  ASSERT_EQ(first.size(), 4u);
  EXPECT_EQ(first[0].event_type(), "ReferralReceived");
  EXPECT_EQ(first[2].referral().referral().status(), fv1::ACCEPTED);
  EXPECT_EQ(first[1].referral().referral().status(), fv1::RECEIVED);  // the state between the two, not the last
  EXPECT_TRUE(first[3].in_list());
  w.ctx->TryCancel();  // cut off
  fv1::WorklistChange rest;
  while (w.stream->Read(&rest)) {
  }
  (void)w.stream->Finish();

  // Changes while nobody watches, then a watch resumed from the last position received.
  Act("loudi-doc", a, "acc-a", &fv1::Referrals::Stub::Accept);
  Act("loudi-doc", c, "ack-c", &fv1::Referrals::Stub::Acknowledge);
  req.set_resume_after(first.back().position());
  auto again = Open("loudi-office", req);
  auto second = Read(again, 2);
  std::vector<fv1::WorklistChange> all = first;
  all.insert(all.end(), second.begin(), second.end());
  EXPECT_EQ(Seen(all), Journal(start, "loudi-1st"));
  again.ctx->TryCancel();
}

TEST_F(ReferralWatchTest, AFilteredWatchSaysWhenAReferralLeavesIt) {
  auto a = Submit("qiaotouhe-doc", "loudi-1st", "a", fv1::STAT);
  Submit("qiaotouhe-doc", "loudi-1st", "b", fv1::ROUTINE);
  fv1::WatchWorklistRequest req;
  req.set_side(fv1::INCOMING);
  req.mutable_filter()->add_priority(fv1::STAT);
  req.mutable_filter()->add_status(fv1::REQUESTED);
  auto w = Open("loudi-doc", req);
  auto page = Page(w);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].referral().referral().referral_id(), a.referral().referral_id());
  Act("loudi-doc", a, "ack", &fv1::Referrals::Stub::Acknowledge);
  auto left = Read(w, 1);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_FALSE(left[0].in_list());  // received: no longer requested
  EXPECT_EQ(left[0].referral().referral().status(), fv1::RECEIVED);
  w.ctx->TryCancel();
}

TEST_F(ReferralWatchTest, OneReferralIsWatchedByThoseWithASideOfIt) {
  auto a = Submit("qiaotouhe-doc", "loudi-1st", "a");
  fv1::WatchWorklistRequest req;
  req.set_referral_id(a.referral().referral_id());
  auto stranger = Open("ruijin-doc", req);
  fv1::WorklistChange c;
  EXPECT_FALSE(stranger.stream->Read(&c));
  EXPECT_EQ(stranger.stream->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);

  auto w = Open("qiaotouhe-doc", req);  // the sender
  ASSERT_EQ(Page(w).size(), 1u);
  Submit("qiaotouhe-doc", "loudi-1st", "other");  // another referral: not this watch's
  Act("loudi-doc", a, "acc", &fv1::Referrals::Stub::Accept);
  auto changes = Read(w, 2);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].event_type(), "ReferralAccepted");
  EXPECT_EQ(changes[1].referral().referral().referral_id(), a.referral().referral_id());
  w.ctx->TryCancel();
}

TEST_F(ReferralWatchTest, UnansweredReferralsReachTheReceiversQueueThenTheLeadHospitals) {
  auto a = Submit("qiaotouhe-doc", "loudi-1st", "stat", fv1::STAT);  // answer within 15 minutes
  auto queue = [&](const std::string& token) {
    fv1::ListWorklistResponse out;
    EXPECT_GRPC(node_->stub->ListEscalated(ReferralNode::As(token).get(), fv1::ListEscalatedRequest(), &out), OK);
    return out;
  };
  node_->clock.Advance(absl::Minutes(16));
  ASSERT_EQ(node_->stack->timers().RunOnce(), 1);
  auto office = queue("loudi-office");
  ASSERT_EQ(office.referrals_size(), 1);
  EXPECT_EQ(office.referrals(0).referral().business_status(), fv1::ESCALATED_TO_RECEIVER_OFFICE);
  EXPECT_EQ(office.referrals(0).referral().escalated_to_institution_id(), "loudi-1st");
  EXPECT_EQ(queue("xiangya-doc").referrals_size(), 0);

  fv1::WatchWorklistRequest req;
  req.set_side(fv1::ESCALATED);
  auto lead = Open("xiangya-doc", req);  // the lead hospital above loudi-1st
  EXPECT_EQ(Page(lead).size(), 0u);
  node_->clock.Advance(absl::Minutes(15));
  ASSERT_EQ(node_->stack->timers().RunOnce(), 1);
  auto up = Read(lead, 1);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_TRUE(up[0].in_list());
  EXPECT_EQ(up[0].referral().referral().business_status(), fv1::ESCALATED_TO_LEAD);
  EXPECT_EQ(queue("xiangya-doc").referrals_size(), 1);
  EXPECT_EQ(queue("loudi-office").referrals_size(), 0);

  Act("loudi-doc", a, "accept", &fv1::Referrals::Stub::Accept);  // answered at last: out of every queue
  auto answered = Read(lead, 2);                                 // received, then accepted
  ASSERT_EQ(answered.size(), 2u);
  EXPECT_FALSE(answered[1].in_list());
  EXPECT_EQ(queue("xiangya-doc").referrals_size(), 0);
  lead.ctx->TryCancel();
}

TEST_F(ReferralWatchTest, APatientsReferralsAreListedForThoseInTheirCare) {
  auto a = Submit("qiaotouhe-doc", "loudi-1st", "a");
  auto b = Submit("wuliqiao-doc", "ruijin", "b");  // the same patient, in Shanghai
  auto list = [&](const std::string& token) {
    fv1::ListPatientReferralsRequest req;
    req.mutable_patient()->set_value("pt-7f3a9c");
    fv1::ListWorklistResponse out;
    EXPECT_GRPC(node_->stub->ListPatientReferrals(ReferralNode::As(token).get(), req, &out), OK);
    std::vector<std::string> ids;
    for (const auto& r : out.referrals()) ids.push_back(r.referral().referral_id());
    return ids;
  };
  EXPECT_EQ(list("loudi-doc"), std::vector<std::string>{a.referral().referral_id()});
  EXPECT_EQ(list("xiangya-doc"), std::vector<std::string>{a.referral().referral_id()});  // the lead above
  EXPECT_EQ(list("ruijin-doc"), std::vector<std::string>{b.referral().referral_id()});
  EXPECT_TRUE(list("dutoutang-doc").empty());  // not in this patient's care
  fv1::ListPatientReferralsRequest bad;
  bad.mutable_patient()->set_value("430102199001011234");  // an identity card number is no reference
  fv1::ListWorklistResponse out;
  EXPECT_GRPC(node_->stub->ListPatientReferrals(ReferralNode::As("loudi-doc").get(), bad, &out), INVALID_ARGUMENT);
}

TEST_F(ReferralWatchTest, BadWatchesAreRefusedAtOnce) {
  fv1::WatchWorklistRequest req;  // no side, no referral
  auto w = Open("loudi-doc", req);
  fv1::WorklistChange c;
  EXPECT_FALSE(w.stream->Read(&c));
  EXPECT_EQ(w.stream->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  req.set_side(fv1::INCOMING);
  req.set_resume_after(1'000'000);
  auto past = Open("loudi-doc", req);
  EXPECT_FALSE(past.stream->Read(&c));
  EXPECT_EQ(past.stream->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  req.clear_resume_after();
  req.mutable_filter()->add_status(static_cast<fv1::Status>(99));
  auto bad = Open("loudi-doc", req);
  EXPECT_FALSE(bad.stream->Read(&c));
  EXPECT_EQ(bad.stream->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ReferralWatchTest, WorklistsTakeTheFiltersAReferralOfficeUses) {
  auto a = Submit("qiaotouhe-doc", "loudi-1st", "a", fv1::STAT);
  Submit("dutoutang-doc", "loudi-1st", "b", fv1::ROUTINE);
  fv1::RequestInformationRequest q;
  q.set_referral_id(a.referral().referral_id());
  q.set_request_id("q");
  q.set_question("latest troponin?");
  fv1::ReferralReply out;
  ASSERT_GRPC(node_->stub->RequestInformation(ReferralNode::As("loudi-doc").get(), q, &out), OK);
  fv1::ListWorklistRequest l;
  l.mutable_filter()->add_business_status(fv1::AWAITING_INFORMATION);
  fv1::ListWorklistResponse list;
  ASSERT_GRPC(node_->stub->ListIncoming(ReferralNode::As("loudi-doc").get(), l, &list), OK);
  ASSERT_EQ(list.referrals_size(), 1);
  EXPECT_EQ(list.referrals(0).referral().referral_id(), a.referral().referral_id());
  l.clear_filter();
  l.mutable_filter()->add_priority(fv1::ROUTINE);
  l.mutable_filter()->set_direction(fv1::UPWARD);
  ASSERT_GRPC(node_->stub->ListIncoming(ReferralNode::As("loudi-doc").get(), l, &list), OK);
  ASSERT_EQ(list.referrals_size(), 1);
  EXPECT_EQ(list.referrals(0).referral().priority(), fv1::ROUTINE);
  l.clear_filter();
  l.mutable_filter()->set_min_escalation_level(1);
  ASSERT_GRPC(node_->stub->ListIncoming(ReferralNode::As("loudi-doc").get(), l, &list), OK);
  EXPECT_EQ(list.referrals_size(), 0);
  l.mutable_filter()->set_min_escalation_level(3);
  EXPECT_GRPC(node_->stub->ListIncoming(ReferralNode::As("loudi-doc").get(), l, &list), INVALID_ARGUMENT);
  l.clear_filter();
  *l.mutable_filter()->mutable_submitted_from() = google::protobuf::Timestamp();
  l.mutable_filter()->mutable_submitted_from()->set_seconds(1'795'000'000 + 60);
  ASSERT_GRPC(node_->stub->ListIncoming(ReferralNode::As("loudi-doc").get(), l, &list), OK);
  EXPECT_EQ(list.referrals_size(), 0);  // both were sent at the start
}

}  // namespace
}  // namespace yilian::referral
