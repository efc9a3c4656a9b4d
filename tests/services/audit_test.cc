// The audit service on a real gRPC server, fed by hand what its consumer would bring from a
// registry and a referral service (real ones, in process): every entry archived once and in
// order even when delivered twice; a changed byte in the stored archive found by verify at
// its position; a source gap and an altered source entry reported and repaired from the
// source's catch-up feed; the state of a referral as of several instants equal to what the
// referral service answered then; replays by aggregate, patient, institution and time, with
// resumption; exports an outside party can verify; compliance figures; only auditors, and
// every call recorded and replayable.
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <map>

#include "../../services/audit/entry_scan.h"
#include "../../services/audit/stack.h"
#include "referral_node.h"
#include "yilian/common/sha256.h"
#include "yilian/common/timestamp.h"
#include "yilian/feed/v1/feed.grpc.pb.h"
#include "yilian/testing/grpc_matchers.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::audit {

namespace av1 = ::yilian::audit::v1;
namespace {

namespace fv1 = ::yilian::referral::v1;
using referral::ReferralNode;

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = std::make_unique<ReferralNode>(dir_.Sub("sources"),
                                             absl::FromCivil(absl::CivilHour(2026, 11, 25, 0), absl::UTCTimeZone()));
    source_->ImportSample(YILIAN_SAMPLE_FILE);
    feed_ = std::make_unique<bus::GrpcEventSource>(
        std::map<std::string, bus::FeedEndpoint>{{"referral", {source_->stack->address(), "auditor", ""}}});
    auth_ = std::make_unique<host::Authenticator>(host::Authenticator::FromTokens(
        {{"auditor", {"auditor@province", "", common::Role::ROLE_AUDITOR}},
         {"doc", {"dr@loudi-1st", "loudi-1st", common::Role::ROLE_CLINICIAN}},
         {"admin", {"admin@loudi", "loudi-1st", common::Role::ROLE_CONSORTIUM_ADMIN}}}));
    Start(false);
  }
  void Start(bool rebuild) {
    ASSERT_OK_AND_ASSIGN(stack_, AuditStack::Start({.data_dir = dir_.Sub("audit"),
                                                    .rebuild = rebuild,
                                                    .use_bus = false,
                                                    .feed = feed_.get(),
                                                    .host = {.service_name = "audit"},
                                                    .auth = auth_.get()}));
    stub_ = av1::Audit::NewStub(grpc::CreateChannel(stack_->address(), grpc::InsecureChannelCredentials()));
  }
  testing::HandFeed Feed() {
    return testing::HandFeed([this]() -> eventstore::Store& { return stack_->store(); },
                             [this]() -> eventstore::Projector& { return stack_->archive_projector(); },
                             [this] { stack_->archiver().Notify(); }, [this] { return stack_->archiver().Pending(); });
  }
  // Every entry of `journal` in [from, to], delivered with its stored bytes, unless `skip`.
  void Deliver(const eventstore::Journal& journal, int64_t from = 1, int64_t to = 0, int64_t skip = -1,
               const std::function<void(events::v1::Envelope&, std::string&)>& alter = nullptr) {
    auto feed = Feed();
    auto n = journal.Read(from, to == 0 ? 0 : to - from + 1, [&](const eventstore::JournalEntry& e) {
      if (e.sequence == skip) return true;
      auto env = *eventstore::ParseEnvelope(e.envelope);
      std::string bytes(e.envelope);
      if (alter) alter(env, bytes);
      EXPECT_OK(feed.Deliver(env, bytes));
      return true;
    });
    ASSERT_OK(n.status());
    feed.Drain();
  }
  std::vector<av1::Entry> Replay(const av1::ReplayRequest& req, const std::string& token = "auditor",
                                 grpc::Status* status = nullptr) {
    auto ctx = ReferralNode::As(token);
    auto reader = stub_->Replay(ctx.get(), req);
    std::vector<av1::Entry> out;
    av1::ReplayBatch b;
    while (reader->Read(&b))
      for (const auto& e : b.entries()) out.push_back(e);
    const grpc::Status s = reader->Finish();
    if (status)
      *status = s;
    else
      EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  // The report on `source` (every Verify reports each of the three services).
  static av1::SourceReport ReportOn(const av1::VerifyResponse& v, const std::string& source) {
    for (const auto& r : v.sources())
      if (r.source_service() == source) return r;
    ADD_FAILURE() << "no report on " << source << " in " << v.DebugString();
    return {};
  }
  av1::VerifyResponse Verify(bool check, bool repair) {
    av1::VerifyRequest req;
    req.set_check_sources(check);
    req.set_repair_sources(repair);
    av1::VerifyResponse out;
    EXPECT_GRPC(stub_->Verify(ReferralNode::As("auditor").get(), req, &out), OK);
    return out;
  }
  // A referral through its life on the source, one minute per step; its state after each.
  std::vector<std::pair<absl::Time, fv1::Referral>> Scenario() {
    std::vector<std::pair<absl::Time, fv1::Referral>> states;
    auto stub = source_->stub.get();
    fv1::SubmitReferralRequest s;
    auto* r = s.mutable_referral();
    r->set_direction(fv1::UPWARD);
    r->set_receiver_institution_id("loudi-1st");
    r->mutable_patient()->set_value("pt-audit-99");
    r->set_reason("chest pain");
    r->set_priority(fv1::URGENT);
    r->set_requested_service(fv1::EXAMINATION);
    s.set_request_id("a-1");
    fv1::ReferralReply out;
    EXPECT_GRPC(stub->Submit(ReferralNode::As("qiaotouhe-doc").get(), s, &out), OK);
    states.emplace_back(source_->clock.Now(), out.referral());
    auto act = [&]<typename Request>(
                   grpc::Status (fv1::Referrals::Stub::*rpc)(grpc::ClientContext*, const Request&, fv1::ReferralReply*),
                   const std::string& key) {
      source_->clock.Advance(absl::Minutes(1));
      Request a;
      a.set_referral_id(out.referral().referral_id());
      a.set_request_id(key);
      EXPECT_GRPC((stub->*rpc)(ReferralNode::As("loudi-doc").get(), a, &out), OK);
      states.emplace_back(source_->clock.Now(), out.referral());
    };
    act(&fv1::Referrals::Stub::Acknowledge, "a-2");
    act(&fv1::Referrals::Stub::Accept, "a-3");
    source_->clock.Advance(absl::Minutes(1));
    fv1::ScheduleReferralRequest sr;
    sr.set_referral_id(out.referral().referral_id());
    sr.set_request_id("a-4");
    YILIAN_SET_MS(sr, appointment_at, absl::ToUnixMillis(source_->clock.Now() + absl::Hours(2)));
    EXPECT_GRPC(stub->Schedule(ReferralNode::As("loudi-doc").get(), sr, &out), OK);
    states.emplace_back(source_->clock.Now(), out.referral());
    act(&fv1::Referrals::Stub::RecordArrival, "a-5");
    return states;
  }
  // The scenario (patient pt-audit-99), then that patient erased in the registry, and both
  // sources' journals archived.
  void ErasedScenarioArchived() {
    Scenario();
    registry::v1::ErasePatientRequest erase;
    erase.mutable_patient()->set_value("pt-audit-99");
    erase.set_reason("PIPL art. 47 request");
    erase.set_request_id("erase-1");
    registry::v1::ErasePatientReply erased;
    EXPECT_GRPC(source_->registry.stub->ErasePatient(ReferralNode::As("admin").get(), erase, &erased), OK);
    Deliver(*source_->registry.journal);
    Deliver(source_->stack->journal());
  }
  int64_t Archived(const std::string& source) {
    int64_t n = 0;
    EXPECT_OK(stack_->view().ForEachSourceCopy(source, [&](const SourceCopy&) { return ++n, true; }));
    return n;
  }

  testing::TempDir dir_;
  std::unique_ptr<ReferralNode> source_;
  std::unique_ptr<bus::GrpcEventSource> feed_;
  std::unique_ptr<host::Authenticator> auth_;
  std::unique_ptr<AuditStack> stack_;
  std::unique_ptr<av1::Audit::Stub> stub_;
};

TEST_F(AuditTest, ArchivesEveryEntryOnceInOrderEvenWhenDeliveredTwice) {
  Scenario();
  const int64_t registry = source_->registry.journal->head().sequence;
  const int64_t referral = source_->stack->journal().head().sequence;
  Deliver(*source_->registry.journal);
  Deliver(source_->stack->journal());
  Deliver(source_->stack->journal(), 2, 4);  // again, as after a consumer crash
  Deliver(*source_->registry.journal, 1, 10);
  EXPECT_EQ(Archived("registry"), registry);
  EXPECT_EQ(Archived("referral"), referral);
  EXPECT_EQ(stack_->journal().head().sequence, registry + referral);
  // Each source in its own order, each entry byte for byte as the source stored it.
  std::map<std::string, int64_t> last;
  int64_t n = 0;
  ASSERT_OK(stack_->view().ForEach(0, [&](const Unpacked& u) {
    EXPECT_GT(u.entry.source_sequence(), last[u.entry.source_service()]);
    last[u.entry.source_service()] = u.entry.source_sequence();
    const eventstore::Journal& j =
        u.entry.source_service() == "registry" ? *source_->registry.journal : source_->stack->journal();
    EXPECT_OK(j.Read(u.entry.source_sequence(), 1, [&](const eventstore::JournalEntry& e) {
      EXPECT_EQ(u.entry.envelope(), std::string(e.envelope));
      return false;
    }));
    return ++n, true;
  }));
  EXPECT_EQ(n, registry + referral);
  auto v = Verify(true, false);
  EXPECT_TRUE(v.intact()) << v.problem();
  ASSERT_EQ(v.sources_size(), 3);  // greenchannel too, with nothing archived
  for (const auto& s : v.sources()) EXPECT_EQ(s.problems_size(), 0) << s.source_service();
  EXPECT_EQ(ReportOn(v, "registry").head_sequence(), registry);
  EXPECT_EQ(ReportOn(v, "referral").head_sequence(), referral);
  EXPECT_EQ(ReportOn(v, "referral").behind_by(), 0);
  EXPECT_FALSE(v.behind());
}

TEST_F(AuditTest, AnErasedPatientIsMarkedErasedInEveryReplayAndTheChainStillVerifies) {
  ErasedScenarioArchived();

  auto count = [](const std::vector<av1::Entry>& entries, bool want_erased) {
    int n = 0;
    for (const auto& e : entries) n += e.patient_erased() == want_erased;
    return n;
  };
  av1::ReplayRequest everything;
  everything.mutable_time();
  const auto all = Replay(everything);
  int of_patient = 0;
  for (const auto& e : all) {
    events::v1::Envelope env;
    ASSERT_TRUE(env.ParseFromString(e.envelope()));
    const bool theirs = env.patient().value() == "pt-audit-99";
    of_patient += theirs;
    EXPECT_EQ(e.patient_erased(), theirs) << e.event_type() << " at " << e.position();
  }
  EXPECT_GE(of_patient, 6);  // five referral events and the erasure
  av1::ReplayRequest by_patient;
  by_patient.mutable_patient()->set_value("pt-audit-99");
  const auto theirs = Replay(by_patient);
  // ... and the record of this very call, which names the patient (recorded before serving).
  EXPECT_EQ(static_cast<int>(theirs.size()), of_patient + 1);
  EXPECT_EQ(theirs.back().event_type(), "yilian.audit.v1.AuditCallRecorded");
  EXPECT_EQ(count(theirs, true), of_patient + 1);
  av1::ReplayRequest by_institution;
  by_institution.set_institution_id("loudi-1st");
  const auto at_lead = Replay(by_institution);
  EXPECT_GE(count(at_lead, true), 5);
  EXPECT_GE(count(at_lead, false), 1);  // the lead's own registry events name no patient
  auto v = Verify(false, false);
  EXPECT_TRUE(v.intact()) << v.problem();
}

TEST_F(AuditTest, ReplaysScanOfTheStoredBytesEqualsTheFullUnpackOfEveryEntry) {
  ErasedScenarioArchived();  // so the erasure mark is compared too
  av1::ReplayRequest everything;
  everything.mutable_time();
  Replay(everything);  // the archive's own AuditCallRecorded entries are scanned too

  const auto& view = stack_->view();
  auto same = [](const std::vector<av1::Entry>& full, const std::vector<av1::Entry>& scanned) {
    ASSERT_EQ(full.size(), scanned.size());
    for (size_t i = 0; i < full.size(); ++i)
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(full[i], scanned[i]))
          << "full:\n"
          << full[i].DebugString() << "scanned:\n"
          << scanned[i].DebugString();
  };
  std::vector<av1::Entry> full, scanned;
  ASSERT_OK(view.ForEach(0, [&](Unpacked& u) { return full.push_back(u.entry), true; }));
  ASSERT_OK(view.ForEachEntry(0, [&](av1::Entry& e) { return scanned.push_back(std::move(e)), true; }));
  EXPECT_GT(full.size(), 20u);
  same(full, scanned);
  int erased_entries = 0, own = 0;
  for (const auto& e : scanned) erased_entries += e.patient_erased(), own += e.source_service() == "audit";
  EXPECT_GE(erased_entries, 6);
  EXPECT_GE(own, 1);
  full.clear();
  scanned.clear();
  const std::string prefix = PatientPrefix("pt-audit-99");
  ASSERT_OK(view.ForEachIndexed(prefix, "", [&](Unpacked& u) { return full.push_back(u.entry), true; }));
  ASSERT_OK(view.ForEachIndexedEntry(prefix, "", [&](av1::Entry& e) { return scanned.push_back(e), true; }));
  EXPECT_GE(full.size(), 6u);
  same(full, scanned);

  // Bytes the full unpack accepts are read alike by the scan: two entries end to end (protobuf
  // merges them: the last value of a field wins, sub-messages merge) and entries with one byte
  // changed anywhere (in the archive's envelope, its ArchivedEvent or the source's envelope).
  std::vector<std::string> stored;
  ASSERT_OK(stack_->journal().Read(1, 0, [&](const eventstore::JournalEntry& e) {
    stored.emplace_back(e.envelope);
    return true;
  }));
  std::vector<std::string> some;  // a dozen, spread over the archive, its own last record among them
  for (size_t i = 0; i < stored.size(); i += std::max<size_t>(1, stored.size() / 11)) some.push_back(stored[i]);
  some.push_back(stored.back());
  auto agree = [&](const std::string& bytes, const std::string& what) {
    const eventstore::JournalEntry e{.sequence = 7, .hash = "hash", .envelope = bytes};
    auto u = Unpack(e);
    if (!u.ok()) return 0;
    av1::Entry entry;
    std::string patient;
    EXPECT_OK(ScanEntry(e, &entry, &patient)) << what;
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(u->entry, entry)) << what;
    EXPECT_EQ(patient, u->envelope.patient().value()) << what;
    return 1;
  };
  size_t merged = 0, mutated = 0, tried = 0;
  const google::protobuf::LogSilencer quiet;  // the parser logs each string it refuses as bad UTF-8
  for (size_t a = 0; a < some.size(); ++a)
    for (size_t b = 0; b < some.size(); ++b) merged += agree(some[a] + some[b], absl::StrCat("merged ", a, "+", b));
  EXPECT_EQ(merged, some.size() * some.size());
  for (const std::string* entry : {&some[1], &some.back()})
    for (size_t i = 0; i < entry->size(); ++i)
      for (const char mask : {'\x01', '\x80', '\xff'}) {
        std::string bytes = *entry;
        bytes[i] = static_cast<char>(bytes[i] ^ mask);
        mutated += agree(bytes, absl::StrCat("byte ", i, " ^ ", static_cast<int>(mask)));
        ++tried;
      }
  EXPECT_GT(mutated, tried / 4) << "most single-byte changes still parse (strings, hashes)";

  // Cut short anywhere, an entry is refused by both or read alike by both.
  ASSERT_OK(stack_->journal().Read(full.front().position(), 1, [&](const eventstore::JournalEntry& stored) {
    for (size_t cut = 0; cut < stored.envelope.size(); ++cut) {
      eventstore::JournalEntry e = stored;
      e.envelope = stored.envelope.substr(0, cut);
      auto u = Unpack(e);
      av1::Entry entry;
      std::string patient;
      const absl::Status scan = ScanEntry(e, &entry, &patient);
      EXPECT_EQ(u.ok(), scan.ok()) << "cut at " << cut << ": " << u.status() << " / " << scan;
      if (!scan.ok()) {
        EXPECT_TRUE(absl::IsDataLoss(scan)) << scan;
      } else if (u.ok()) {
        EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(u->entry, entry)) << "cut at " << cut;
        EXPECT_EQ(patient, u->envelope.patient().value());
      }
    }
    return false;
  }));
}

TEST_F(AuditTest, VerifyFindsAChangedByteAtItsPosition) {
  Deliver(*source_->registry.journal, 1, 30);
  auto clean = Verify(false, false);
  ASSERT_TRUE(clean.intact());
  EXPECT_EQ(clean.checked(), 31);  // 30 archived, and the Verify call's own record, made first
  const std::string key = eventstore::EncodeU64(17);
  ASSERT_OK_AND_ASSIGN(auto original, stack_->store().Get(eventstore::Family::kJournal, key));
  std::string tampered = *original;
  tampered[tampered.size() - 5] ^= 0x01;  // inside the archived source bytes
  ASSERT_OK(stack_->store().Put(eventstore::Family::kJournal, key, tampered));
  auto v = Verify(false, false);
  EXPECT_FALSE(v.intact());
  EXPECT_EQ(v.bad_position(), 17) << v.problem();
}

TEST_F(AuditTest, SourceGapAndAlteredEntryAreReportedAndRepairedFromTheFeed) {
  Scenario();
  Deliver(source_->stack->journal(), 1, 0, /*skip=*/3, [](events::v1::Envelope& env, std::string& bytes) {
    if (env.source_sequence() != 4) return;
    env.set_correlation_id("rewritten");  // an altered copy of #4
    bytes = env.SerializeAsString();
  });
  auto v = Verify(true, false);
  const auto report = ReportOn(v, "referral");
  ASSERT_EQ(report.problems_size(), 2);
  EXPECT_EQ(report.problems(0).source_sequence(), 3);
  EXPECT_EQ(report.problems(0).problem(), "missing");
  EXPECT_EQ(report.problems(1).source_sequence(), 5);  // #5 names the true #4, not the archived one
  EXPECT_NE(report.problems(1).problem().find("breaks the chain"), std::string::npos);

  auto repaired = Verify(true, true);
  EXPECT_EQ(ReportOn(repaired, "referral").repaired(), 2);
  EXPECT_EQ(ReportOn(repaired, "referral").problems_size(), 0);
  EXPECT_TRUE(repaired.intact());
  // Nothing received is dropped: the altered copy stays in the archive next to the correction.
  av1::ReplayRequest all;
  all.mutable_time();
  int copies_of_4 = 0;
  for (const auto& e : Replay(all))
    if (e.source_service() == "referral" && e.source_sequence() == 4) ++copies_of_4;
  EXPECT_EQ(copies_of_4, 2);
}

TEST_F(AuditTest, VerifySaysBehindWhileASourceHasEntriesNotYetArchived) {
  Scenario();
  const int64_t head = source_->stack->journal().head().sequence;
  ASSERT_GT(head, 3);
  Deliver(source_->stack->journal(), 1, 3);
  auto v = Verify(false, false);
  EXPECT_TRUE(v.intact()) << v.problem();  // intact as far as it goes...
  EXPECT_TRUE(v.behind());                 // ... but not complete
  auto referral = ReportOn(v, "referral");
  EXPECT_EQ(referral.head_sequence(), 3);
  EXPECT_EQ(referral.source_head(), head);
  EXPECT_EQ(referral.behind_by(), head - 3);
  auto registry = ReportOn(v, "registry");  // this test configures no feed for it
  EXPECT_EQ(registry.source_head(), 0);
  EXPECT_NE(registry.head_unknown().find("no catch-up feed configured for registry"), std::string::npos)
      << registry.head_unknown();

  Deliver(source_->stack->journal(), 4, head);
  v = Verify(false, false);
  EXPECT_FALSE(v.behind());
  EXPECT_EQ(ReportOn(v, "referral").behind_by(), 0);
  EXPECT_EQ(ReportOn(v, "referral").head_sequence(), head);
}

TEST_F(AuditTest, StateAsOfEqualsWhatTheOwningServiceSaidThen) {
  auto states = Scenario();
  Deliver(source_->stack->journal());
  const std::string id = states[0].second.referral_id();
  av1::StateAsOfRequest req;
  req.set_referral_id(id);
  YILIAN_SET_MS(req, at, absl::ToUnixMillis(states[0].first) - 1);
  av1::StateAsOfResponse out;
  ASSERT_GRPC(stub_->StateAsOf(ReferralNode::As("auditor").get(), req, &out), OK);
  EXPECT_FALSE(out.existed());
  for (const auto& [at, state] : states) {
    YILIAN_SET_MS(req, at, absl::ToUnixMillis(at) + 30'000);  // half a minute after each step
    ASSERT_GRPC(stub_->StateAsOf(ReferralNode::As("auditor").get(), req, &out), OK);
    EXPECT_TRUE(out.existed());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(out.referral(), state))
        << out.referral().DebugString() << "\nvs\n"
        << state.DebugString();
  }
  EXPECT_EQ(out.referral().status(), fv1::IN_PROGRESS);
  req.clear_referral_id();
  EXPECT_GRPC(stub_->StateAsOf(ReferralNode::As("auditor").get(), req, &out), INVALID_ARGUMENT);
}

TEST_F(AuditTest, ReplaysResumeAndOnlyAuditorsAreServedEachCallRecorded) {
  auto states = Scenario();
  Deliver(*source_->registry.journal);
  Deliver(source_->stack->journal());
  const std::string id = states[0].second.referral_id();
  av1::ReplayRequest by_referral;
  by_referral.mutable_aggregate()->set_source_service("referral");
  by_referral.mutable_aggregate()->set_aggregate_type("referral");
  by_referral.mutable_aggregate()->set_aggregate_id(id);
  by_referral.set_batch_size(2);
  auto events = Replay(by_referral);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].event_type(), "yilian.referral.v1.ReferralSubmitted");
  by_referral.set_after_position(events[2].position());  // resume
  auto rest = Replay(by_referral);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].position(), events[3].position());
  by_referral.clear_after_position();
  by_referral.add_event_types("ReferralAccepted");
  EXPECT_EQ(Replay(by_referral).size(), 1u);

  av1::ReplayRequest by_patient;
  by_patient.mutable_patient()->set_value("pt-audit-99");
  EXPECT_EQ(Replay(by_patient).size(), 5u + 1u);  // its 5 events, and this replay's own record
  av1::ReplayRequest by_institution;
  by_institution.set_institution_id("qiaotouhe-thc");
  EXPECT_GE(Replay(by_institution).size(), 5u);  // the referral's, and the registry's about it
  av1::ReplayRequest by_time;
  YILIAN_SET_MS(*by_time.mutable_time(), from, absl::ToUnixMillis(states[1].first));
  YILIAN_SET_MS(*by_time.mutable_time(), to, absl::ToUnixMillis(states[3].first));
  auto window = Replay(by_time);
  ASSERT_EQ(window.size(), 2u);  // received, accepted
  EXPECT_LE(common::UnixMs(window[0].recorded_at()), common::UnixMs(window[1].recorded_at()));

  grpc::Status denied;
  Replay(by_patient, "doc", &denied);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  av1::VerifyResponse v;
  EXPECT_GRPC(stub_->Verify(ReferralNode::As("admin").get(), {}, &v), PERMISSION_DENIED);
  EXPECT_GRPC(stub_->Verify(ReferralNode::As("nobody").get(), {}, &v), UNAUTHENTICATED);

  // The archive's catch-up feed: auditors only, and each read is on record (below).
  {
    auto feed =
        feed::v1::EventFeed::NewStub(grpc::CreateChannel(stack_->address(), grpc::InsecureChannelCredentials()));
    feed::v1::HeadResponse head;
    EXPECT_GRPC(feed->Head(ReferralNode::As("admin").get(), {}, &head), PERMISSION_DENIED);
    EXPECT_GRPC(feed->Head(ReferralNode::As("doc").get(), {}, &head), PERMISSION_DENIED);
    const int64_t before = stack_->journal().head().sequence;
    EXPECT_GRPC(feed->Head(ReferralNode::As("auditor").get(), {}, &head), OK);
    EXPECT_EQ(head.source_service(), "audit");
    // The read's own record lands after the head it served: a follower is not chased by it.
    EXPECT_EQ(head.head_sequence(), before);
    EXPECT_EQ(stack_->journal().head().sequence, before + 1);
    // A read of entries is on record with what it asked.
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer auditor");
    feed::v1::ReadJournalRequest read;
    read.set_from_sequence(2);
    read.set_max_entries(3);
    auto reader = feed->ReadJournal(&ctx, read);
    feed::v1::JournalBatch batch;
    int entries = 0;
    while (reader->Read(&batch)) entries += batch.entries_size();
    EXPECT_GRPC(reader->Finish(), OK);
    EXPECT_EQ(entries, 3);
  }

  // Every auditor call so far is in the archive, in a later replay, with what was asked.
  av1::ReplayRequest calls;
  calls.mutable_aggregate()->set_source_service("audit");
  calls.mutable_aggregate()->set_aggregate_type("audit_call");
  calls.mutable_aggregate()->set_aggregate_id("auditor@province");
  auto recorded = Replay(calls);
  ASSERT_EQ(recorded.size(), 9u);  // 6 replays before, two feed reads and this one; none for the refused calls
  events::v1::Envelope feed_read;
  ASSERT_TRUE(feed_read.ParseFromString(recorded[6].envelope()));
  av1::AuditCallRecorded feed_call;
  ASSERT_TRUE(feed_read.payload().UnpackTo(&feed_call));
  EXPECT_EQ(feed_call.call(), "EventFeed/Head");
  ASSERT_TRUE(feed_read.ParseFromString(recorded[7].envelope()));
  ASSERT_TRUE(feed_read.payload().UnpackTo(&feed_call));
  EXPECT_EQ(feed_call.call(), "EventFeed/ReadJournal");
  EXPECT_NE(feed_call.parameters().find("\"from_sequence\":\"2\""), std::string::npos) << feed_call.parameters();
  events::v1::Envelope env;
  ASSERT_TRUE(env.ParseFromString(recorded[0].envelope()));
  av1::AuditCallRecorded first;
  ASSERT_TRUE(env.payload().UnpackTo(&first));
  EXPECT_EQ(first.call(), "Replay");
  EXPECT_NE(first.parameters().find(id), std::string::npos);
  EXPECT_EQ(env.actor().subject(), "auditor@province");
  // Who looked at the patient is on the patient's record too.
  auto patient_history = Replay(by_patient);
  EXPECT_EQ(patient_history.size(), 5u + 2u);  // 5 events, the earlier patient replay and this one
}

TEST_F(AuditTest, ExportsReadableLinesAndRawEntriesAnOutsiderCanVerify) {
  Scenario();
  Deliver(source_->stack->journal());
  const int64_t head = stack_->journal().head().sequence;
  auto read = [&](av1::ExportRequest::Format f, int64_t from) {
    av1::ExportRequest req;
    req.set_format(f);
    req.set_from_position(from);
    req.set_to_position(head);
    auto ctx = ReferralNode::As("auditor");
    auto reader = stub_->Export(ctx.get(), req);
    std::string all;
    av1::ExportChunk c;
    while (reader->Read(&c)) all += c.data();
    EXPECT_GRPC(reader->Finish(), OK);
    return all;
  };
  const std::string lines = read(av1::ExportRequest::JSON_LINES, 1);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), head);
  EXPECT_NE(lines.find("\"event_type\":\"yilian.referral.v1.ReferralSubmitted\""), std::string::npos);
  EXPECT_NE(lines.find("\"patient\":{\"value\":\"pt-audit-99\"}"), std::string::npos);

  // As an outside party: each entry's previous_hash is the SHA-256 of the entry before it.
  const std::string raw = read(av1::ExportRequest::RAW, 3);
  ASSERT_GE(raw.size(), 32u);
  std::string previous = raw.substr(0, 32);
  size_t at = 32;
  int64_t entries = 0;
  while (at < raw.size()) {
    uint32_t len = 0;
    for (int i = 0; i < 4; ++i) len = (len << 8) | static_cast<unsigned char>(raw[at + i]);
    const std::string entry = raw.substr(at + 4, len);
    at += 4 + len;
    events::v1::Envelope env;
    ASSERT_TRUE(env.ParseFromString(entry));
    EXPECT_EQ(env.previous_hash(), previous) << "entry " << env.source_sequence();
    previous = common::Sha256(entry);
    ++entries;
  }
  EXPECT_EQ(entries, head - 2);
  EXPECT_OK(stack_->journal().Read(head, 1, [&](const eventstore::JournalEntry& e) {
    EXPECT_EQ(previous, std::string(e.hash));
    return false;
  }));
}

TEST_F(AuditTest, ComplianceReportsReferralResponseTimesAndRebuildKeepsTheIndexes) {
  Scenario();
  Deliver(source_->stack->journal());
  av1::ComplianceRequest req;
  av1::ComplianceReport report;
  ASSERT_GRPC(stub_->GetComplianceReport(ReferralNode::As("auditor").get(), req, &report), OK);
  ASSERT_EQ(report.referral_response_size(), 1);
  const auto& urgent = report.referral_response(0);
  EXPECT_EQ(urgent.priority(), fv1::URGENT);
  EXPECT_EQ(urgent.referrals(), 1);
  EXPECT_EQ(urgent.answered_in_time(), 1);
  EXPECT_EQ(urgent.median_response_min(), 1);

  // A draft counts from when it is sent; a referral entered in error counts nowhere.
  auto stub = source_->stub.get();
  fv1::SubmitReferralRequest d;
  auto* r = d.mutable_referral();
  r->set_direction(fv1::UPWARD);
  r->set_receiver_institution_id("loudi-1st");
  r->mutable_patient()->set_value("pt-audit-98");
  r->set_reason("palpitations");
  r->set_priority(fv1::ASAP);
  r->set_requested_service(fv1::EXAMINATION);
  d.set_request_id("draft-1");
  d.set_draft(true);
  fv1::ReferralReply drafted;
  ASSERT_GRPC(stub->Submit(ReferralNode::As("qiaotouhe-doc").get(), d, &drafted), OK);
  source_->clock.Advance(absl::Hours(48));  // far past an ASAP answer deadline, had it been sent
  fv1::SendReferralRequest send;
  send.set_referral_id(drafted.referral().referral_id());
  send.set_request_id("send-1");
  ASSERT_GRPC(stub->Send(ReferralNode::As("qiaotouhe-doc").get(), send, &drafted), OK);
  source_->clock.Advance(absl::Minutes(10));
  fv1::AcknowledgeReferralRequest ack;
  ack.set_referral_id(drafted.referral().referral_id());
  ack.set_request_id("ack-draft");
  ASSERT_GRPC(stub->Acknowledge(ReferralNode::As("loudi-doc").get(), ack, &drafted), OK);
  d.set_request_id("wrong-1");
  d.set_draft(false);
  r->set_priority(fv1::STAT);
  fv1::ReferralReply wrong;
  ASSERT_GRPC(stub->Submit(ReferralNode::As("qiaotouhe-doc").get(), d, &wrong), OK);
  fv1::MarkEnteredInErrorRequest eie;
  eie.set_referral_id(wrong.referral().referral_id());
  eie.set_request_id("eie-1");
  eie.set_reason("duplicate of an earlier referral");
  ASSERT_GRPC(stub->MarkEnteredInError(ReferralNode::As("qiaotouhe-doc").get(), eie, &wrong), OK);
  Deliver(source_->stack->journal());
  ASSERT_GRPC(stub_->GetComplianceReport(ReferralNode::As("auditor").get(), req, &report), OK);
  ASSERT_EQ(report.referral_response_size(), 2);  // URGENT and ASAP; the STAT one never existed
  for (const auto& row : report.referral_response()) {
    EXPECT_NE(row.priority(), fv1::STAT);
    if (row.priority() != fv1::ASAP) continue;
    EXPECT_EQ(row.referrals(), 1);
    EXPECT_EQ(row.answered_in_time(), 1);
    EXPECT_EQ(row.median_response_min(), 10);
  }

  ASSERT_OK_AND_ASSIGN(const std::string rows, stack_->store().Dump(eventstore::Family::kProjection));
  stub_.reset();
  stack_.reset();
  Start(true);
  ASSERT_OK_AND_ASSIGN(const std::string rebuilt, stack_->store().Dump(eventstore::Family::kProjection));
  EXPECT_EQ(rebuilt, rows);
}

}  // namespace
}  // namespace yilian::audit
