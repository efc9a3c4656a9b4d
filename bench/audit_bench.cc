// Prints the audit service's replay rate on this machine: N archived events (default
// 1,000,000, synthetic referral events of realistic size) streamed to a gRPC client over
// loopback, everything in archive order, at two batch sizes; beside it, the rate of reading
// the same archive straight from the journal without gRPC (the ceiling of this design).
// Goal (issue 7): >= 200,000 events/s to a gRPC client.
// Usage: audit_bench [--events=1000000]
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <cstring>

#include "../services/audit/stack.h"
#include "bench_util.h"
#include "yilian/common/logging.h"
#include "yilian/common/oneof_event.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/referral/referral.h"
#include "yilian/testing/temp_dir.h"

using namespace yilian;
using bench::Seconds;
using bench::SteadyClock;
namespace fv1 = ::yilian::referral::v1;

namespace {

// A source entry as the referral service would have stored it.
std::string SourceEntry(int64_t seq) {
  fv1::ReferralEvent e;
  if (seq % 5 == 1) {
    auto* r = e.mutable_submitted()->mutable_referral();
    r->set_referral_id("ref-" + std::to_string(seq / 5));
    r->set_direction(fv1::UPWARD);
    r->set_sender_institution_id("qiaotouhe-thc");
    r->set_receiver_institution_id("loudi-1st");
    r->mutable_patient()->set_value("pt-" + std::to_string(seq % 50000));
    r->set_reason("chest pain on exertion, needs cardiology work-up");
    *r->add_diagnoses() = ::yilian::domain::referral::Icd10("I20.9");
    r->set_priority(fv1::URGENT);
    r->set_requested_service(fv1::EXPERT_OUTPATIENT);
  } else {
    YILIAN_SET_MS(*e.mutable_accepted(), at, 1'790'000'000'000 + seq);
  }
  auto env = common::EnvelopeOf(e);
  env.set_event_id("0190f0c2-7a1e-7c00-8000-" + std::to_string(100000000000 + seq));
  env.set_source_service("referral");
  env.set_source_sequence(seq);
  env.set_aggregate_type("referral");
  env.set_aggregate_id("ref-" + std::to_string(seq / 5));
  env.set_aggregate_version(seq % 5 + 1);
  env.mutable_recorded_at()->set_seconds(1'790'000'000 + seq / 100);
  env.mutable_actor()->set_subject("dr.zhang");
  env.mutable_actor()->set_institution_id("loudi-1st");
  env.set_correlation_id("corr-" + std::to_string(seq / 5));
  env.mutable_patient()->set_value("pt-" + std::to_string(seq % 50000));
  env.add_institution_ids("qiaotouhe-thc");
  env.add_institution_ids("loudi-1st");
  env.set_previous_hash(std::string(32, 'h'));
  return env.SerializeAsString();
}

}  // namespace

int main(int argc, char** argv) {
  int64_t events = 1'000'000;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--events=", 9) == 0) events = std::atoll(argv[i] + 9);
  (void)common::InitLogging({"bench", "warn", ""});
  testing::TempDir dir;
  auto auth = host::Authenticator::FromTokens({{"auditor", {"auditor", "", common::Role::ROLE_AUDITOR}}});
  auto stack = audit::AuditStack::Start(
      {.data_dir = dir.Sub("audit"), .use_bus = false, .host = {.service_name = "audit"}, .auth = &auth});
  if (!stack.ok()) {
    std::fprintf(stderr, "%s\n", stack.status().ToString().c_str());
    return 1;
  }
  auto& s = **stack;
  auto t0 = SteadyClock::now();
  int64_t bytes = 0;
  for (int64_t from = 1; from <= events; from += 10000) {
    std::vector<audit::ArchiveRequest> batch;
    for (int64_t i = from; i < from + 10000 && i <= events; ++i) {
      batch.push_back({SourceEntry(i)});
      bytes += static_cast<int64_t>(batch.back().bytes.size());
    }
    if (auto st = s.archiver().Archive(std::move(batch)); !st.ok()) {
      std::fprintf(stderr, "archive: %s\n", st.ToString().c_str());
      return 1;
    }
  }
  std::printf("archived %lld events (%.0f bytes each) in %.1f s: %.0f events/s (durable, indexed)\n",
              static_cast<long long>(events), static_cast<double>(bytes) / static_cast<double>(events), Seconds(t0),
              static_cast<double>(events) / Seconds(t0));

  t0 = SteadyClock::now();
  int64_t read = 0;
  (void)s.journal().Read(1, 0, [&](const eventstore::JournalEntry&) { return ++read, true; });
  std::printf("journal read, no gRPC:       %9.0f entries/s\n", static_cast<double>(read) / Seconds(t0));
  t0 = SteadyClock::now();
  read = 0;
  (void)s.view().ForEach(0, [&](const audit::Unpacked&) { return ++read, true; });
  std::printf("archive unpack, no gRPC:     %9.0f events/s (three envelopes parsed: StateAsOf, export)\n",
              static_cast<double>(read) / Seconds(t0));
  t0 = SteadyClock::now();
  read = 0;
  (void)s.view().ForEachEntry(0, [&](audit::v1::Entry&) { return ++read, true; });
  std::printf("entry scan, no gRPC:         %9.0f events/s (the wire bytes walked: replay)\n",
              static_cast<double>(read) / Seconds(t0));

  // An auditor's usual question: one patient's history (an index scan, then a point read of each
  // entry it lists), for 2,000 patients.
  t0 = SteadyClock::now();
  read = 0;
  for (int p = 0; p < 2000; ++p)
    (void)s.view().ForEachIndexedEntry(audit::PatientPrefix("pt-" + std::to_string(p * 7 % 50000)), "",
                                       [&](audit::v1::Entry&) { return ++read, true; });
  std::printf("patient histories, no gRPC:  %9.0f events/s (%.0f us per patient of %.1f entries)\n",
              static_cast<double>(read) / Seconds(t0), Seconds(t0) * 1e6 / 2000, static_cast<double>(read) / 2000);

  t0 = SteadyClock::now();
  read = 0;
  {
    audit::v1::ReplayBatch b;
    std::string wire;
    (void)s.view().ForEachEntry(0, [&](audit::v1::Entry& e) {
      *b.add_entries() = std::move(e);
      if (b.entries_size() == 1000) {
        b.SerializeToString(&wire);
        b.Clear();
      }
      return ++read, true;
    });
  }
  std::printf("scan + batch + serialize:    %9.0f events/s (what the server does, without the transport)\n",
              static_cast<double>(read) / Seconds(t0));

  auto stub = audit::v1::Audit::NewStub(grpc::CreateChannel(s.address(), grpc::InsecureChannelCredentials()));
  for (int batch : {1000, 5000}) {
    audit::v1::ReplayRequest req;
    req.mutable_time();
    req.set_batch_size(batch);
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer auditor");
    t0 = SteadyClock::now();
    auto reader = stub->Replay(&ctx, req);
    audit::v1::ReplayBatch b;
    int64_t got = 0;
    while (reader->Read(&b)) got += b.entries_size();
    const auto st = reader->Finish();
    const double secs = Seconds(t0);
    std::printf("gRPC replay, batch %4d:     %9.0f events/s (%lld events in %.2f s)%s   (goal >= 200,000)\n", batch,
                static_cast<double>(got) / secs, static_cast<long long>(got), secs, st.ok() ? "" : " FAILED");
  }
  return 0;
}
