// (b) The audit service's request validation and handling, over a small archive: the unary
// handlers of AuditService called directly (an authenticated ServerContext, no server), Replay
// with no stream to write to (its filter is set to match nothing, so nothing is written), and
// the export core. Every admitted call is recorded in the archive, so the fixture is rebuilt
// every kRebuildAfter recorded calls to keep the walks short.
#include <grpc/grpc.h>
#include <grpcpp/test/server_context_test_spouse.h>

#include <memory>

#include "services/audit/archiver.h"
#include "services/audit/audit_service.h"
#include "services/audit/export.h"
#include "support.h"
#include "targets.h"
#include "yilian/common/sha256.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/greenchannel/emergency_case.h"
#include "yilian/domain/referral/referral.h"
#include "yilian/host/access_log.h"

namespace yilian::fuzz {

namespace {

namespace av1 = ::yilian::audit::v1;
namespace fv1 = ::yilian::referral::v1;
namespace gv1 = ::yilian::greenchannel::v1;

constexpr int64_t kRebuildAfter = 200;
constexpr char kAuditorToken[] = "fuzz-auditor";
constexpr char kClinicianToken[] = "fuzz-clinician";
constexpr char kPatient[] = "pt-fuzz-0001";

// A few entries of each kind StateAsOf, compliance and replay read, chained per source.
std::vector<audit::ArchiveRequest> SeedEntries() {
  std::vector<audit::ArchiveRequest> out;
  std::map<std::string, std::string> last;  // source -> its previous stored bytes
  std::map<std::string, int64_t> seq, version;
  const absl::Time t0 = absl::FromUnixMillis(1'700'000'000'000);
  int64_t minute = 0;
  auto add = [&](const std::string& source, const std::string& type, const std::string& id,
                 const google::protobuf::Message& payload) {
    auto env = EnvelopeFor(payload, source, type, id, ++version[source + type + id], ++seq[source],
                           t0 + absl::Minutes(minute++));
    if (last.count(source)) env.set_previous_hash(common::Sha256(last[source]));
    env.mutable_patient()->set_value(kPatient);
    env.add_institution_ids("loudi-1st");
    env.mutable_actor()->set_institution_id("qiaotouhe");
    last[source] = env.SerializeAsString();
    out.push_back({last[source]});
  };
  fv1::ReferralEvent r;
  auto* ref = r.mutable_submitted()->mutable_referral();
  ref->set_referral_id("ref-1");
  ref->set_priority(fv1::URGENT);
  ref->set_status(fv1::REQUESTED);
  YILIAN_SET_MS(*ref, submitted_at, absl::ToUnixMillis(t0));
  YILIAN_SET_MS(*ref, respond_by, absl::ToUnixMillis(t0 + absl::Hours(24)));
  add("referral", "referral", "ref-1", r.submitted());
  YILIAN_SET_MS(*r.mutable_received(), at, absl::ToUnixMillis(t0) + 60'000);
  add("referral", "referral", "ref-1", r.received());
  YILIAN_SET_MS(*r.mutable_accepted(), at, absl::ToUnixMillis(t0) + 120'000);
  add("referral", "referral", "ref-1", r.accepted());
  r.mutable_escalated()->set_level(1);
  add("referral", "referral", "ref-1", r.escalated());
  gv1::CaseEvent c;
  auto* ec = c.mutable_opened()->mutable_emergency_case();
  ec->set_case_id("case-1");
  ec->set_condition(gv1::STROKE);
  YILIAN_SET_MS(*ec, first_medical_contact_at, absl::ToUnixMillis(t0));
  ec->mutable_placement()->set_institution_id("loudi-1st");
  ec->set_status(gv1::EN_ROUTE);
  add("greenchannel", "case", "case-1", c.opened());
  for (auto [m, at] : {std::pair{gv1::ARRIVAL, 20}, {gv1::NEEDLE, 55}}) {
    c.mutable_milestone()->mutable_milestone()->set_milestone(m);
    YILIAN_SET_MS(*c.mutable_milestone()->mutable_milestone(), at, absl::ToUnixMillis(t0 + absl::Minutes(at)));
    add("greenchannel", "case", "case-1", c.milestone());
  }
  c.mutable_closed()->set_outcome("discharged");
  add("greenchannel", "case", "case-1", c.closed());
  gv1::BoardEvent b;
  b.mutable_capacity_set()->set_institution_id("loudi-1st");
  b.mutable_capacity_set()->set_ward_id("icu");
  b.mutable_capacity_set()->set_capacity(4);
  add("greenchannel", "ward", "loudi-1st/icu", b.capacity_set());
  b.mutable_held()->mutable_hold()->set_hold_id("case-1#1");
  add("greenchannel", "ward", "loudi-1st/icu", b.held());
  return out;
}

struct AuditFixture {
  std::string dir;
  std::unique_ptr<eventstore::Store> store;
  audit::IndexProjector index;
  std::unique_ptr<eventstore::Journal> journal;
  std::unique_ptr<audit::ArchiveView> view;
  std::unique_ptr<audit::Archiver> archiver;
  host::Authenticator auth =
      host::Authenticator::FromTokens({{kAuditorToken, {"auditor@fuzz", "loudi-1st", common::Role::ROLE_AUDITOR}},
                                       {kClinicianToken, {"doctor@fuzz", "qiaotouhe", common::Role::ROLE_CLINICIAN}}});
  std::unique_ptr<audit::CallRecorder> calls;
  std::unique_ptr<audit::AuditService> service;
  int64_t seeded = 0;

  AuditFixture() {
    grpc_init();
    Open();
  }
  ~AuditFixture() {
    Close();
    grpc_shutdown();
  }
  void Open() {
    dir = MakeTempDir(/*memory=*/true);
    auto s = eventstore::Store::Open(
        {.path = dir + "/archive", .budget = {.block_cache_bytes = 8 << 20, .memtable_bytes = 8 << 20}});
    Require(s.ok(), "the audit fixture's store opens");
    store = std::move(*s);
    auto j = eventstore::Journal::Open(store.get(), {.source_service = "audit", .projector = &index});
    Require(j.ok(), "the audit fixture's journal opens");
    journal = std::move(*j);
    view = std::make_unique<audit::ArchiveView>(store.get(), journal.get());
    archiver = std::make_unique<audit::Archiver>(store.get(), journal.get(), /*run_loop=*/false);
    Require(archiver->Archive(SeedEntries()).ok(), "the audit fixture's entries are archived");
    calls = std::make_unique<audit::CallRecorder>(journal.get());
    service =
        std::make_unique<audit::AuditService>(journal.get(), view.get(), archiver.get(), calls.get(), nullptr, &auth);
    seeded = journal->head().sequence;
  }
  void Close() {
    service.reset();
    calls.reset();
    archiver.reset();
    view.reset();
    journal.reset();
    store.reset();
    RemoveDir(dir);
  }
  void RebuildIfGrown() {
    if (journal->head().sequence - seeded < kRebuildAfter) return;
    Close();
    Open();
  }
};

AuditFixture& Fixture() {
  ScratchStore();  // logging off
  static AuditFixture fixture;
  return fixture;
}

}  // namespace

// Layout: op, caller (0 auditor, 1 clinician, 2 none, 3 a malformed token), correlation id
// chunk, request chunk.
int FuzzAuditRequests(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const uint8_t op = in.Byte();
  const uint8_t caller = in.Byte();
  const std::string correlation = in.Text();
  AuditFixture& f = Fixture();
  f.RebuildIfGrown();
  grpc::ServerContext ctx;
  grpc::testing::ServerContextTestSpouse spouse(&ctx);
  switch (caller & 3) {
    case 0:
      spouse.AddClientMetadata("authorization", absl::StrCat("Bearer ", kAuditorToken));
      break;
    case 1:
      spouse.AddClientMetadata("authorization", absl::StrCat("Bearer ", kClinicianToken));
      break;
    case 2:
      break;
    default:
      spouse.AddClientMetadata("authorization", correlation);
      break;
  }
  if (caller & 4) spouse.AddClientMetadata(host::kCorrelationHeader, correlation);
  switch (op % 5) {
    case 0: {
      av1::StateAsOfRequest req;
      av1::StateAsOfResponse out;
      if (in.Parse(req)) (void)f.service->StateAsOf(&ctx, &req, &out);
      return 0;
    }
    case 1: {
      av1::VerifyRequest req;
      av1::VerifyResponse out;
      if (in.Parse(req)) (void)f.service->Verify(&ctx, &req, &out);
      return 0;
    }
    case 2: {
      av1::ComplianceRequest req;
      av1::ComplianceReport out;
      if (in.Parse(req)) (void)f.service->GetComplianceReport(&ctx, &req, &out);
      return 0;
    }
    case 3: {  // the stream is never written: no entry's type is "\x01"
      av1::ReplayRequest req;
      if (!in.Parse(req)) return 0;
      req.clear_event_types();
      req.add_event_types("\x01");
      (void)f.service->Replay(&ctx, &req, nullptr);
      return 0;
    }
    default: {
      av1::ExportRequest req;
      if (!in.Parse(req)) return 0;
      size_t bytes = 0;
      (void)audit::Export(*f.view, req, [&](std::string chunk) {
        bytes += chunk.size();
        return true;
      });
      return 0;
    }
  }
}

}  // namespace yilian::fuzz
