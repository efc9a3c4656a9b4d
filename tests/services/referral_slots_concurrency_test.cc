// 32 clients race to book the same expert session over gRPC: 32 accepted referrals from the
// four community centres of the Ruijin consortium (8 each) all ask for Ruijin's neurology
// session of 2026-12-01 (24 slots, 1 reserved per centre) at the same moment, a day before
// the release cut-off (so the centres' reserved slots are open to all their referrals).
// Exactly 24 get a slot, each at most once, each centre exactly its one reserved slot, the
// rest say the session is full; the bookings rebuilt from the journal are identical.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "referral_node.h"
#include "yilian/testing/grpc_matchers.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::referral {

namespace fv1 = ::yilian::referral::v1;
namespace {

constexpr char kSession[] = "ruijin-neuro-2026-12-01-am";

TEST(ReferralSlotsConcurrencyTest, ThirtyTwoClientsNeverBookASlotTwice) {
  testing::TempDir dir;
  ReferralNode node(dir.path(), absl::FromCivil(absl::CivilHour(2026, 11, 29, 12), absl::UTCTimeZone()));
  node.ImportSample(YILIAN_SAMPLE_FILE);
  const std::vector<std::string> centres = {"wuliqiao", "dapuqiao", "huaihai", "ruijin2"};
  std::vector<fv1::ReferralReply> accepted;
  for (int i = 0; i < 32; ++i) {
    fv1::SubmitReferralRequest req;
    auto* r = req.mutable_referral();
    r->set_direction(fv1::UPWARD);
    r->set_receiver_institution_id("ruijin");
    r->mutable_patient()->set_value("pt-slot-" + std::to_string(i));
    r->set_reason("headache with focal signs");
    r->set_priority(fv1::URGENT);
    r->set_requested_service(fv1::EXPERT_OUTPATIENT);
    req.set_request_id("s-" + std::to_string(i));
    fv1::ReferralReply out;
    ASSERT_GRPC(node.stub->Submit(ReferralNode::As(centres[i % 4] + "-doc").get(), req, &out), OK);
    fv1::AcceptReferralRequest a;
    a.set_referral_id(out.referral().referral_id());
    a.set_request_id("a-" + std::to_string(i));
    ASSERT_GRPC(node.stub->Accept(ReferralNode::As("ruijin-doc").get(), a, &out), OK);
    accepted.push_back(out);
  }

  std::vector<grpc::Status> results(32);
  std::vector<fv1::ReferralReply> replies(32);
  std::atomic<int> ready{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 32; ++i)
    clients.emplace_back([&, i] {
      auto stub =
          fv1::Referrals::NewStub(grpc::CreateChannel(node.stack->address(), grpc::InsecureChannelCredentials()));
      fv1::ScheduleReferralRequest req;
      req.set_referral_id(accepted[i].referral().referral_id());
      req.set_expected_version(accepted[i].version());
      req.set_request_id("book-" + std::to_string(i));
      req.set_session_id(kSession);
      ++ready;
      while (ready.load() < 32) std::this_thread::yield();
      results[i] = stub->Schedule(ReferralNode::As("ruijin-doc").get(), req, &replies[i]);
    });
  for (auto& t : clients) t.join();

  int booked = 0;
  std::map<std::string, int> reserved_by_centre;
  for (int i = 0; i < 32; ++i) {
    if (results[i].ok()) {
      ++booked;
      EXPECT_EQ(replies[i].referral().status(), fv1::READY);
      if (replies[i].referral().schedule().reserved_slot())
        ++reserved_by_centre[replies[i].referral().sender_institution_id()];
    } else {
      EXPECT_EQ(results[i].error_code(), grpc::StatusCode::FAILED_PRECONDITION) << results[i].error_message();
      EXPECT_NE(results[i].error_message().find("no slot left"), std::string::npos) << results[i].error_message();
    }
  }
  EXPECT_EQ(booked, 24);
  EXPECT_EQ(reserved_by_centre.size(), 4u);
  for (const auto& [centre, n] : reserved_by_centre) EXPECT_EQ(n, 1) << centre;

  ASSERT_OK_AND_ASSIGN(auto bookings, node.stack->view().Bookings(kSession));
  EXPECT_EQ(bookings.bookings_size(), 24);
  std::set<std::string> holders;
  for (const auto& b : bookings.bookings()) EXPECT_TRUE(holders.insert(b.referral_id()).second) << b.referral_id();
  for (int i = 0; i < 32; ++i)
    EXPECT_EQ(holders.count(accepted[i].referral().referral_id()) == 1, results[i].ok()) << i;

  // A cancelled booking from the general pool frees its slot for a loser.
  int winner = 0, loser = 0;
  while (!results[winner].ok() || replies[winner].referral().schedule().reserved_slot()) ++winner;
  while (results[loser].ok()) ++loser;
  fv1::CancelReferralRequest c;
  c.set_referral_id(replies[winner].referral().referral_id());
  c.set_request_id("cancel");
  c.set_reason("patient moved away");
  fv1::ReferralReply out;
  ASSERT_GRPC(node.stub->Cancel(ReferralNode::As(centres[winner % 4] + "-doc").get(), c, &out), OK);
  fv1::ScheduleReferralRequest again;
  again.set_referral_id(accepted[loser].referral().referral_id());
  again.set_request_id("book-again");
  again.set_session_id(kSession);
  ASSERT_GRPC(node.stub->Schedule(ReferralNode::As("ruijin-doc").get(), again, &out), OK);

  ASSERT_OK_AND_ASSIGN(const std::string rows, node.stack->store().Dump(eventstore::Family::kProjection));
  node.Stop();
  node.Start(true);
  ASSERT_OK_AND_ASSIGN(const std::string rebuilt, node.stack->store().Dump(eventstore::Family::kProjection));
  EXPECT_EQ(rebuilt, rows);
}

}  // namespace
}  // namespace yilian::referral
