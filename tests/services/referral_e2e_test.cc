// The referral workflow end to end, through the embedded Kafka broker: the registry
// publishes the sample consortia; the referral service and the green channel's bed board
// follow it and each other. An upward referral from a township health centre of the Loudi
// alliance to the lead hospital is accepted, scheduled with an inpatient bed (BedRequested
// -> the board reserves -> BedReserved -> READY), the patient arrives (the hold becomes
// an admission on the board), and the referral completes with a downward referral to the
// patient's community centre. The audit service follows all three topics meanwhile: it ends
// with every entry of every source archived once, byte for byte, in an intact chain.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "bus_fixture.h"
#include "registry_node.h"
#include "yilian/bus/embedded_broker.h"
#include "yilian/common/timestamp.h"
#include "yilian/testing/bus_keys.h"
#include "yilian/testing/grpc_matchers.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"
#include "yilian/testing/wait.h"

// The services' stacks: their headers share the name stack.h, so each comes by its path.
#include "../../services/audit/as_of.h"
#include "../../services/audit/source_check.h"
#include "../../services/audit/stack.h"
#include "../../services/greenchannel/stack.h"
#include "../../services/referral/stack.h"
#include "yilian/domain/referral/referral.h"

namespace yilian {
namespace {

namespace fv1 = ::yilian::referral::v1;
namespace gv1 = ::yilian::greenchannel::v1;
namespace rv1 = ::yilian::registry::v1;
using testing::WaitFor;

std::unique_ptr<grpc::ClientContext> As(const std::string& token) { return registry::RegistryNode::As(token); }

TEST(ReferralEndToEndTest, TownshipToLeadHospitalWithABedAndBackToTheCommunity) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto broker, bus::EmbeddedBroker::Start({}));
  auto kafka = [&](const char* client) {
    return yilian::testing::TestKafka(broker->bootstrap(), client, {{"session.timeout.ms", "6000"}});
  };
  std::filesystem::create_directories(dir.Sub("registry"));
  registry::RegistryNode registry(dir.Sub("registry") + "/db");
  ASSERT_OK_AND_ASSIGN(auto registry_relay,
                       bus::OutboxRelay::Start(registry.store.get(), registry.journal.get(),
                                               {.kafka = yilian::testing::TestKafka(broker->bootstrap(), "registry")}));
  registry.ImportSample(YILIAN_SAMPLE_FILE);
  rv1::EnrolResidentRequest enrol;  // the patient's family doctor is at the mining community centre
  enrol.mutable_resident()->mutable_patient()->set_value("pt-e2e-41c7");
  enrol.mutable_resident()->set_family_doctor_institution_id("qiaotouhe-mining-chc");
  enrol.mutable_resident()->set_team("team-2");
  enrol.mutable_resident()->mutable_signed_at()->set_seconds(absl::ToUnixSeconds(absl::Now()) - 86400 * 30);
  enrol.set_request_id("enrol-e2e");
  rv1::ResidentReply resident;
  ASSERT_GRPC(registry.stub->EnrolResident(As("admin").get(), enrol, &resident), OK);

  auto auth = host::Authenticator::FromTokens({
      {"qiaotouhe-doc", {"dr.li", "qiaotouhe-thc", common::Role::ROLE_CLINICIAN}},
      {"loudi-doc", {"dr.zhang", "loudi-1st", common::Role::ROLE_CLINICIAN}},
      {"mining-doc", {"dr.wu", "qiaotouhe-mining-chc", common::Role::ROLE_CLINICIAN}},
      {"service", {"service", "", common::Role::ROLE_SERVICE}},
      {"auditor", {"auditor", "", common::Role::ROLE_AUDITOR}},
  });
  testing::SwitchableEventSource feed;
  ASSERT_OK_AND_ASSIGN(
      auto gc,
      greenchannel::GreenChannelStack::Start(
          {.data_dir = dir.Sub("greenchannel"), .kafka = kafka("greenchannel"), .feed = &feed, .auth = &auth}));
  ASSERT_OK_AND_ASSIGN(
      auto ref, referral::ReferralStack::Start(
                    {.data_dir = dir.Sub("referral"), .kafka = kafka("referral"), .feed = &feed, .auth = &auth}));
  ASSERT_OK_AND_ASSIGN(
      auto audit,
      audit::AuditStack::Start({.data_dir = dir.Sub("audit"), .kafka = kafka("audit"), .feed = &feed, .auth = &auth}));
  feed.Set("greenchannel", gc->address());
  feed.Set("referral", ref->address());
  ASSERT_TRUE(
      WaitFor([&] { return ref->consumer()->status().applied() >= registry.Head(); }, std::chrono::seconds(180)));
  ASSERT_TRUE(
      WaitFor([&] { return gc->consumer()->status().applied() >= registry.Head(); }, std::chrono::seconds(180)));

  auto stub = fv1::Referrals::NewStub(grpc::CreateChannel(ref->address(), grpc::InsecureChannelCredentials()));
  fv1::SubmitReferralRequest submit;
  auto* draft = submit.mutable_referral();
  draft->set_direction(fv1::UPWARD);
  draft->mutable_routing()->set_capability(rv1::STROKE_CENTRE);  // routed: the lead hospital first
  draft->mutable_patient()->set_value("pt-e2e-41c7");
  draft->set_reason("left-sided weakness for 2 days; needs stroke unit work-up");
  *draft->add_diagnoses() = ::yilian::domain::referral::Icd10("I63.9");
  draft->set_priority(fv1::URGENT);
  draft->set_requested_service(fv1::INPATIENT_BED);
  submit.set_request_id("e2e-submit");
  fv1::ReferralReply r;
  ASSERT_GRPC(stub->Submit(As("qiaotouhe-doc").get(), submit, &r), OK);
  EXPECT_EQ(r.referral().receiver_institution_id(), "loudi-1st");
  EXPECT_NE(r.referral().routing().reason().find("lead hospital"), std::string::npos);
  const std::string id = r.referral().referral_id();

  fv1::AcceptReferralRequest accept;
  accept.set_referral_id(id);
  accept.set_expected_version(r.version());
  accept.set_request_id("e2e-accept");
  ASSERT_GRPC(stub->Accept(As("loudi-doc").get(), accept, &r), OK);
  fv1::ScheduleReferralRequest bed;
  bed.set_referral_id(id);
  bed.set_expected_version(r.version());
  bed.set_request_id("e2e-bed");
  bed.mutable_bed()->set_ward_kind(rv1::WARD_STROKE_UNIT);
  YILIAN_SET_MS(*bed.mutable_bed(), planned_admission_at, absl::ToUnixMillis(absl::Now() + absl::Hours(3)));
  ASSERT_GRPC(stub->Schedule(As("loudi-doc").get(), bed, &r), OK);
  const std::string first_request = r.referral().schedule().bed_request_id();
  ASSERT_FALSE(first_request.empty());

  // The board reserves a bed, and its answer comes back over the broker.
  auto row = [&] { return **ref->view().Referral(id); };
  ASSERT_TRUE(WaitFor([&] { return row().referral().status() == fv1::READY; }, std::chrono::seconds(180)));
  EXPECT_TRUE(row().referral().schedule().bed_reserved());
  auto held_as = [&](const std::string& request, gv1::BedRequestStatus want) {
    auto q = gc->view().Request(request);
    return q.ok() && *q && (*q)->request().status() == want;
  };
  ASSERT_TRUE(held_as(first_request, gv1::RESERVED));
  EXPECT_EQ((**gc->view().Request(first_request)).request().ward_id(), "stroke-1");

  // The family asks for a later admission: another bed is asked while the first stays held;
  // once the board reserves it, it is the schedule and the first hold is released.
  fv1::RescheduleReferralRequest move;
  move.set_referral_id(id);
  move.set_expected_version(row().version());
  move.set_request_id("e2e-rebed");
  move.set_reason("the family asks for the evening");
  move.mutable_bed()->set_ward_kind(rv1::WARD_STROKE_UNIT);
  YILIAN_SET_MS(*move.mutable_bed(), planned_admission_at, absl::ToUnixMillis(absl::Now() + absl::Hours(5)));
  ASSERT_GRPC(stub->Reschedule(As("loudi-doc").get(), move, &r), OK);
  EXPECT_EQ(r.referral().business_status(), fv1::BED_REQUESTED);
  EXPECT_EQ(r.referral().schedule().bed_request_id(), first_request);  // still held meanwhile
  const std::string request_id = r.referral().rescheduling().bed_request_id();
  ASSERT_FALSE(request_id.empty());
  ASSERT_TRUE(
      WaitFor([&] { return row().referral().schedule().bed_request_id() == request_id; }, std::chrono::seconds(180)));
  EXPECT_EQ(row().referral().business_status(), fv1::BED_RESERVED);
  EXPECT_TRUE(row().referral().schedule().bed_reserved());
  ASSERT_TRUE(WaitFor([&] { return held_as(first_request, gv1::RELEASED); }, std::chrono::seconds(180)));
  ASSERT_TRUE(held_as(request_id, gv1::RESERVED));
  auto held = [&](gv1::BedRequestStatus want) { return held_as(request_id, want); };

  fv1::RecordArrivalRequest arrive;
  arrive.set_referral_id(id);
  arrive.set_expected_version(row().version());
  arrive.set_request_id("e2e-arrive");
  ASSERT_GRPC(stub->RecordArrival(As("loudi-doc").get(), arrive, &r), OK);
  EXPECT_EQ(r.referral().status(), fv1::IN_PROGRESS);
  EXPECT_EQ(r.referral().schedule().admission_id(), request_id);  // what the hospital discharges later
  ASSERT_TRUE(WaitFor([&] { return held(gv1::TAKEN_UP); }, std::chrono::seconds(180)));

  fv1::CompleteReferralRequest done;
  done.set_referral_id(id);
  done.set_expected_version(r.version());
  done.set_request_id("e2e-complete");
  done.set_outcome_summary("ischaemic stroke, thrombolysis not indicated; secondary prevention started");
  done.mutable_downward()->set_receiver_institution_id("qiaotouhe-mining-chc");
  done.mutable_downward()->set_requested_service(fv1::TELE_CONSULTATION);
  done.mutable_downward()->set_notes("follow-up with the family doctor team; rehab exercises");
  ASSERT_GRPC(stub->Complete(As("loudi-doc").get(), done, &r), OK);
  EXPECT_EQ(r.referral().status(), fv1::COMPLETED);

  fv1::ListWorklistRequest list;
  list.set_status(fv1::REQUESTED);
  fv1::ListWorklistResponse incoming;
  ASSERT_GRPC(stub->ListIncoming(As("mining-doc").get(), list, &incoming), OK);
  ASSERT_EQ(incoming.referrals_size(), 1);
  const auto& down = incoming.referrals(0).referral();
  EXPECT_EQ(down.referral_id(), id + ".down");
  EXPECT_EQ(down.direction(), fv1::DOWNWARD);
  EXPECT_EQ(down.sender_institution_id(), "loudi-1st");
  EXPECT_EQ(down.linked_from(), id);

  fv1::GetReferralRequest get;
  get.set_referral_id(id);
  fv1::GetReferralResponse full;
  ASSERT_GRPC(stub->GetReferral(As("qiaotouhe-doc").get(), get, &full), OK);
  std::vector<std::string> types;
  for (const auto& t : full.timeline()) types.push_back(t.event_type());
  EXPECT_EQ(types, (std::vector<std::string>{"ReferralSubmitted", "ReferralReceived", "ReferralAccepted",
                                             "BedRequested", "BedRequestAnswered", "BedRequested", "BedRequestAnswered",
                                             "ReferralRescheduled", "BedRequestCancelled", "PatientArrived",
                                             "ReferredPatientAdmitted", "ReferralCompleted"}));
  EXPECT_EQ(full.timeline(4).actor(), "referral");  // the board's answer, taken in by the service

  // The audit archive holds every entry of the three sources once, in an intact chain.
  auto archived = [&](const std::string& source) {
    int64_t n = 0;
    EXPECT_OK(audit->view().ForEachSourceCopy(source, [&](const audit::SourceCopy&) { return ++n, true; }));
    return n;
  };
  const std::map<std::string, const eventstore::Journal*> sources = {
      {"registry", registry.journal.get()}, {"referral", &ref->journal()}, {"greenchannel", &gc->journal()}};
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const auto& [name, journal] : sources)
          if (archived(name) != journal->head().sequence) return false;
        return audit->archiver().Pending() == 0;
      },
      std::chrono::seconds(180)));
  int64_t total = 0;
  for (const auto& [name, journal] : sources) total += journal->head().sequence;
  EXPECT_EQ(audit->journal().head().sequence, total);
  ASSERT_OK_AND_ASSIGN(auto chain, audit->journal().Verify());
  EXPECT_TRUE(chain.intact) << chain.problem;
  ASSERT_OK_AND_ASSIGN(auto reports, audit::CheckSources(audit->view(), &audit->archiver(), nullptr, audit::kSources,
                                                         /*check=*/true, /*repair=*/false));
  for (const auto& r : reports) EXPECT_EQ(r.problems_size(), 0) << r.DebugString();
  // The stroke unit's board rebuilt by the audit from its archive equals the bed board's own.
  audit::v1::StateAsOfRequest as_of;
  as_of.mutable_ward()->set_institution_id("loudi-1st");
  as_of.mutable_ward()->set_ward_id("stroke-1");
  YILIAN_SET_MS(as_of, at, absl::ToUnixMillis(absl::Now()) + 60'000);
  ASSERT_OK_AND_ASSIGN(auto ward, audit::StateAsOf(audit->view(), as_of));
  ASSERT_TRUE(ward.existed());
  ASSERT_OK_AND_ASSIGN(auto board, gc->view().Ward("loudi-1st/stroke-1"));
  ASSERT_TRUE(board.has_value());
  EXPECT_EQ(ward.ward().SerializeAsString(), board->board().SerializeAsString());
  EXPECT_EQ(ward.version(), board->version());
}

}  // namespace
}  // namespace yilian
