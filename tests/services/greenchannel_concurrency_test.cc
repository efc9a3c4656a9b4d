// No double booking, through the real path: the registry publishes the sample consortia
// (with the Loudi lead's wards cut to a few beds) over the embedded Kafka broker; once 8
// referral bed requests hold beds, 64 dispatchers open stroke cases over gRPC while 56 more
// referral clerks publish bed requests from the referral service's journal at the same time. Afterwards no ward is over
// capacity, every hold belongs to exactly one case or one reserved request, every request
// is answered exactly once, and the board rebuilt from the journal is identical.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "bus_fixture.h"
#include "registry_node.h"
#include "stack.h"
#include "yilian/bus/embedded_broker.h"
#include "yilian/common/oneof_event.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/greenchannel/bed_board.h"
#include "yilian/testing/bus_keys.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"
#include "yilian/testing/wait.h"

namespace yilian::greenchannel {

namespace gv1 = ::yilian::greenchannel::v1;
namespace {

namespace rv1 = ::yilian::registry::v1;
namespace fv1 = ::yilian::referral::v1;
using testing::WaitFor;

constexpr int kDispatchers = 64;
constexpr int kClerks = 64;

std::unique_ptr<grpc::ClientContext> As(const std::string& token) { return registry::RegistryNode::As(token); }

void Cut(registry::RegistryNode& registry, const std::string& ward, int capacity, int reserved) {
  rv1::ChangeWardCapacityRequest req;
  req.set_institution_id("loudi-1st");
  req.set_ward_id(ward);
  req.set_capacity(capacity);
  req.set_emergency_reserved(reserved);
  rv1::WardReply out;
  ASSERT_TRUE(registry.stub->ChangeWardCapacity(As("admin").get(), req, &out).ok());
}

absl::Status RequestBed(eventstore::Journal& referral, int i) {
  fv1::BedRequested r;
  r.set_request_id("bedreq-" + std::to_string(i));
  r.set_referral_id("ref-" + std::to_string(i));
  r.set_institution_id("loudi-1st");
  r.set_ward_kind(rv1::WARD_GENERAL);
  eventstore::AppendRequest req;
  req.aggregate_type = "referral";
  req.aggregate_id = r.referral_id();
  req.actor = {"clerk-" + std::to_string(i), "qiaotouhe-thc", common::Role::ROLE_REFERRAL_OFFICE};
  events::v1::Envelope env;
  env.set_event_type(r.GetDescriptor()->full_name());
  env.set_schema_version(1);
  env.mutable_payload()->PackFrom(r);
  req.events.push_back(std::move(env));
  return referral.Append(std::move(req)).status();
}

TEST(GreenChannelConcurrencyTest, NoBedIsPromisedTwice) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto broker, bus::EmbeddedBroker::Start({}));
  const bus::KafkaSettings kafka =
      yilian::testing::TestKafka(broker->bootstrap(), "greenchannel", {{"session.timeout.ms", "6000"}});

  std::filesystem::create_directories(dir.Sub("registry"));
  registry::RegistryNode registry(dir.Sub("registry") + "/db");
  ASSERT_OK_AND_ASSIGN(auto registry_relay,
                       bus::OutboxRelay::Start(registry.store.get(), registry.journal.get(),
                                               {.kafka = yilian::testing::TestKafka(broker->bootstrap(), "registry")}));
  registry.ImportSample(YILIAN_SAMPLE_FILE);
  Cut(registry, "stroke-1", 3, 1);
  Cut(registry, "icu-1", 2, 1);
  Cut(registry, "general-1", 6, 2);

  ASSERT_OK_AND_ASSIGN(auto referral, testing::OwnerNode::Start("referral", dir.Sub("referral")));
  ASSERT_OK(referral->StartRelay(broker->bootstrap()));
  testing::SwitchableEventSource feed;
  feed.Set("referral", referral->feed_address());

  auto auth = host::Authenticator::FromTokens({{"dispatch", {"dispatcher@120", "", common::Role::ROLE_DISPATCH}},
                                               {"service", {"referral", "", common::Role::ROLE_SERVICE}}});
  StackOptions options{.data_dir = dir.Sub("greenchannel"), .kafka = kafka, .feed = &feed, .auth = &auth};
  ASSERT_OK_AND_ASSIGN(auto gc, GreenChannelStack::Start(options));
  // The green channel has every registry event (the board learns the cut capacities from them).
  ASSERT_TRUE(
      WaitFor([&] { return gc->consumer()->status().applied() >= registry.Head(); }, std::chrono::seconds(180)));
  ASSERT_TRUE(WaitFor([&] { return gc->intake().Pending() == 0; }, std::chrono::seconds(60)));
  ASSERT_EQ((**gc->view().Ward("loudi-1st/general-1")).board().capacity(), 6);

  auto channel = grpc::CreateChannel(gc->address(), grpc::InsecureChannelCredentials());
  std::vector<gv1::CaseReply> cases(kDispatchers);
  std::vector<grpc::Status> results(kDispatchers);
  std::vector<absl::Status> published(kClerks);
  // Referrals over Kafka are slower than dispatchers over gRPC: let the first 8 bed requests
  // be answered before the storm, so referral holds are on the board while 64 dispatchers and
  // the other 56 clerks race for what is left.
  constexpr int kEarly = 8;
  for (int i = 0; i < kEarly; ++i) ASSERT_OK(RequestBed(referral->journal(), i));
  auto answered_first = [&](int n) {
    for (int i = 0; i < n; ++i) {
      auto q = gc->view().Request("bedreq-" + std::to_string(i));
      if (!q.ok() || !*q) return false;
    }
    return true;
  };
  ASSERT_TRUE(WaitFor([&] { return answered_first(kEarly); }, std::chrono::seconds(180)));
  std::vector<std::thread> threads;
  for (int i = 0; i < kDispatchers; ++i) {
    threads.emplace_back([&, i] {
      auto stub = gv1::GreenChannel::NewStub(channel);
      gv1::OpenCaseRequest r;
      r.set_condition(gv1::STROKE);
      r.set_severity(1 + i % 5);
      r.mutable_location()->set_latitude(27.60 + 0.005 * (i % 30));
      r.mutable_location()->set_longitude(111.70 + 0.01 * (i % 25));
      YILIAN_SET_MS(r, first_medical_contact_at, absl::ToUnixMillis(absl::Now()) - 60000);
      r.set_dispatch_centre("120-loudi");
      r.set_consortium_id("loudi-alliance");
      r.set_request_id("call-" + std::to_string(i));
      results[i] = stub->OpenCase(As("dispatch").get(), r, &cases[i]);
    });
  }
  for (int i = kEarly; i < kClerks; ++i)
    threads.emplace_back([&, i] { published[i] = RequestBed(referral->journal(), i); });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kDispatchers; ++i) ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].error_message();
  for (int i = 0; i < kClerks; ++i) ASSERT_OK(published[i]);
  // Every bed request is answered (over Kafka, then the intake).
  ASSERT_TRUE(WaitFor([&] { return answered_first(kClerks); }, std::chrono::seconds(180)));

  // Every hold on the board, and who it belongs to.
  std::map<std::string, std::string> holds;  // hold id -> ward
  int emergency_held = 0, referral_held = 0;
  ASSERT_OK(gc->view().ForEachWard("", [&](const gv1::WardStatus& w) {
    const auto& b = w.board();
    EXPECT_LE(b.holds_size() + b.admissions_size(), b.capacity()) << b.ward_id();
    int referral_here = 0;
    for (const auto& h : b.holds()) {
      EXPECT_TRUE(holds.emplace(h.hold_id(), WardKey(b.institution_id(), b.ward_id())).second) << h.hold_id();
      (h.purpose() == gv1::REFERRAL ? referral_held : emergency_held)++;
      referral_here += h.purpose() == gv1::REFERRAL;
    }
    EXPECT_LE(referral_here, b.capacity() - b.emergency_reserved()) << b.ward_id();
    return true;
  }));
  std::set<std::string> owned;
  int overflow = 0;
  for (const auto& c : cases) {
    const auto& e = c.emergency_case();
    if (e.placement().step() == gv1::LEAD_OVERFLOW) {
      ++overflow;
      EXPECT_TRUE(e.hold_id().empty());
      continue;
    }
    ASSERT_TRUE(holds.count(e.hold_id())) << e.case_id() << " has no hold on the board";
    EXPECT_EQ(holds[e.hold_id()], WardKey(e.placement().institution_id(), e.placement().ward_id()));
    EXPECT_TRUE(owned.insert(e.hold_id()).second);
  }
  int reserved = 0, declined = 0;
  for (int i = 0; i < kClerks; ++i) {
    auto q = **gc->view().Request("bedreq-" + std::to_string(i));
    EXPECT_EQ(q.version(), 1) << "answered more than once";
    if (q.request().status() == gv1::RESERVED) {
      ++reserved;
      ASSERT_TRUE(holds.count(q.request().hold_id()));
      EXPECT_TRUE(owned.insert(q.request().hold_id()).second);
    } else {
      EXPECT_EQ(q.request().status(), gv1::DECLINED);
      ++declined;
    }
  }
  EXPECT_EQ(owned.size(), holds.size()) << "a hold on the board belongs to nobody";
  EXPECT_EQ(reserved, referral_held);
  EXPECT_EQ(kDispatchers - overflow, emergency_held);
  // 64 callers for 11 beds: every bed the cases could reach is taken (by a case or, on the
  // general ward, by whichever referral won it), the rest overflowed or were declined.
  for (const char* ward : {"stroke-1", "icu-1", "general-1"}) {
    auto w = **gc->view().Ward(WardKey("loudi-1st", ward));
    EXPECT_EQ(w.held(), w.board().capacity()) << ward;
  }
  EXPECT_EQ(emergency_held + referral_held, 3 + 2 + 6);
  EXPECT_GT(overflow, 0);
  EXPECT_GT(declined, 0);
  EXPECT_GE(reserved, 1) << "the early requests found free general beds";
  std::printf("cases: %d held, %d overflow; bed requests: %d reserved, %d declined\n", emergency_held, overflow,
              reserved, declined);

  // The board folded independently from the journal equals the projection ...
  std::map<std::string, std::optional<gv1::WardBoard>> folded;
  ASSERT_OK(gc->journal()
                .Read(1, 0,
                      [&](const eventstore::JournalEntry& e) {
                        auto env = eventstore::ParseEnvelope(e.envelope);
                        EXPECT_OK(env.status());
                        if (env->aggregate_type() != kWard) return true;
                        auto ev = common::UnpackEvent<gv1::BoardEvent>(*env);
                        EXPECT_OK(ev.status());
                        EXPECT_OK(domain::greenchannel::Evolve(folded[env->aggregate_id()], *ev));
                        return true;
                      })
                .status());
  for (const auto& [key, board] : folded) {
    auto row = gc->view().Ward(key);
    ASSERT_TRUE(row.ok() && *row);
    EXPECT_EQ((*row)->board().SerializeAsString(), board->SerializeAsString()) << key;
  }
  // ... and a rebuild gives the same rows.
  const std::string before = *gc->store().Dump(eventstore::Family::kProjection);
  gc.reset();
  options.rebuild = true;
  options.use_bus = false;
  ASSERT_OK_AND_ASSIGN(gc, GreenChannelStack::Start(options));
  EXPECT_EQ(*gc->store().Dump(eventstore::Family::kProjection), before);
}

}  // namespace
}  // namespace yilian::greenchannel
