// Prints how fast the referral service's projection is rebuilt from its journal on this
// machine: N referral events appended durably (whole lifecycles of N/6 referrals: submitted,
// received, accepted, scheduled, arrived, completed; 40 senders, 8 receivers, 50,000
// patients), then Journal::RebuildProjections with the service's own projector (rows,
// worklists, timers), at each size given; and the process's resident memory after each.
// Goal (issue 9): 1,000,000 referral events rebuilt in <= 5 s, the rate holding from 100k to 1M.
// Usage: rebuild_bench [--events=100000,1000000] [--rebuilds=1] [--malloc-arenas=2]
// --rebuilds=N rebuilds the same journal N times (each from an emptied projection) and prints
// every time, the spread from run to run without appending again.
#include <malloc.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "bench_util.h"
#include "referral_model.h"
#include "streams.h"
#include "yilian/common/logging.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/referral/referral.h"
#include "yilian/eventstore/journal.h"
#include "yilian/eventstore/store.h"
#include "yilian/testing/temp_dir.h"

using namespace yilian;
using bench::Seconds;
using bench::SteadyClock;
namespace fv1 = ::yilian::referral::v1;

namespace {

long ResidentMb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6) / 1024;
  return -1;
}

// One referral's whole lifecycle, as the referral service writes it.
std::vector<events::v1::Envelope> Lifecycle(int64_t i) {
  const int64_t t = 1'790'000'000'000 + i * 1000;
  std::vector<fv1::ReferralEvent> es(6);
  auto* r = es[0].mutable_submitted()->mutable_referral();
  r->set_referral_id("ref-bench-" + std::to_string(i));
  r->set_direction(fv1::UPWARD);
  r->set_sender_institution_id("thc-" + std::to_string(i % 40));
  r->set_sender_clinician("dr-" + std::to_string(i % 400));
  r->set_receiver_institution_id("hospital-" + std::to_string(i % 8));
  r->mutable_patient()->set_value("pt-" + std::to_string(i % 50000));
  r->set_reason("chest pain on exertion, needs cardiology work-up");
  *r->add_diagnoses() = ::yilian::domain::referral::Icd10("I20.9");
  r->set_priority(i % 10 == 0 ? fv1::ASAP : fv1::ROUTINE);
  r->set_requested_service(fv1::EXAMINATION);
  r->set_status(fv1::REQUESTED);
  YILIAN_SET_MS(*r, submitted_at, t);
  YILIAN_SET_MS(*r, respond_by, t + 7 * 86'400'000LL);
  YILIAN_SET_MS(*r, schedule_by, t + 14 * 86'400'000LL);
  YILIAN_SET_MS(*es[1].mutable_received(), at, t + 60'000);
  YILIAN_SET_MS(*es[2].mutable_accepted(), at, t + 120'000);
  auto* s = es[3].mutable_scheduled();
  s->mutable_schedule()->set_kind(fv1::EXAMINATION);
  YILIAN_SET_MS(*s->mutable_schedule(), at, t + 86'400'000);
  YILIAN_SET_MS(*s, at, t + 180'000);
  YILIAN_SET_MS(*es[4].mutable_arrived(), at, t + 86'400'000);
  es[5].mutable_completed()->set_outcome_summary("stable angina; medication adjusted");
  YILIAN_SET_MS(*es[5].mutable_completed(), at, t + 90'000'000);
  command::Stream referral(referral::kReferralKind, r->referral_id(), std::nullopt, 0);
  if (!referral.Add(es).ok()) std::abort();  // the core's own fold
  return std::move(referral).Append().events;
}

// Waits (at most 2 min) until the store runs and owes no flush or compaction, so the rebuild is
// timed without them on the second core (after the appends they were done within 0.1 s); the
// seconds waited.
double Settle(const eventstore::Store& store) {
  const auto settle = SteadyClock::now();
  for (uint64_t busy = 1; busy != 0 && Seconds(settle) < 120;) {
    busy = 0;
    for (const char* p : {"rocksdb.num-running-compactions", "rocksdb.num-running-flushes",
                          "rocksdb.compaction-pending", "rocksdb.mem-table-flush-pending"}) {
      if (auto v = store.IntProperty(p); v.ok()) busy += *v;
    }
    if (busy != 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Seconds(settle);
}

void RunSize(int64_t events, int rebuilds) {
  testing::TempDir dir;
  referral::ReferralProjector projector;
  auto store = eventstore::Store::Open({.path = dir.Sub("referral")});
  if (!store.ok()) std::abort();
  auto journal = eventstore::Journal::Open(store->get(), {.source_service = "referral", .projector = &projector});
  if (!journal.ok()) std::abort();
  const int64_t referrals = events / 6;
  std::mutex mu;
  std::condition_variable cv;
  int64_t in_flight = 0, failed = 0;
  const auto t0 = SteadyClock::now();
  for (int64_t i = 0; i < referrals; ++i) {
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return in_flight < 512; });
      ++in_flight;
    }
    eventstore::AppendRequest req{.aggregate_type = "referral",
                                  .aggregate_id = "ref-bench-" + std::to_string(i),
                                  .expected_version = eventstore::kNoStream};
    req.events = Lifecycle(i);
    (*journal)->AppendAsync(std::move(req), [&](absl::StatusOr<eventstore::AppendResult> r) {
      std::lock_guard lock(mu);
      --in_flight;
      failed += !r.ok();
      cv.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return in_flight == 0; });
  }
  const double append_s = Seconds(t0);
  const int64_t written = (*journal)->head().sequence;
  const double settle_s = Settle(*store->get());
  std::fprintf(stderr, "rebuild_bench: rebuilding %lld events (pid %d)\n", static_cast<long long>(written),
               static_cast<int>(getpid()));  // a profiler can attach for the rebuild alone
  std::printf(
      "%9lld events (%lld referrals): appended in %6.1f s (%7.0f events/s durable, %lld failed), "
      "store settled in %4.1f s\n",
      static_cast<long long>(written), static_cast<long long>(referrals), append_s, written / append_s,
      static_cast<long long>(failed), settle_s);
  for (int run = 0; run < rebuilds; ++run) {
    if (run > 0) Settle(*store->get());  // the last rebuild's compactions
    const auto t1 = SteadyClock::now();
    auto s = (*journal)->RebuildProjections();
    const double rebuild_s = Seconds(t1);
    std::printf("%9lld events rebuilt in %5.2f s = %8.0f events/s%s; resident %ld MB\n",
                static_cast<long long>(written), rebuild_s, written / rebuild_s, s.ok() ? "" : " (FAILED)",
                ResidentMb());
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int64_t> sizes = {100'000, 1'000'000};
  int arenas = 2;  // as a service runs by default (memory.malloc_arenas); 0: glibc's default
  int rebuilds = 1;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--malloc-arenas=", 16) == 0) {
      if (!absl::SimpleAtoi(argv[i] + 16, &arenas) || arenas < 0) {
        std::fprintf(stderr, "--malloc-arenas wants a count (0: glibc's default)\n");
        return 2;
      }
    } else if (std::strncmp(argv[i], "--rebuilds=", 11) == 0) {
      if (!absl::SimpleAtoi(argv[i] + 11, &rebuilds) || rebuilds < 1) {
        std::fprintf(stderr, "--rebuilds wants a count of at least 1\n");
        return 2;
      }
    } else if (std::strncmp(argv[i], "--events=", 9) == 0) {
      sizes.clear();
      for (absl::string_view part : absl::StrSplit(argv[i] + 9, ',')) {
        int64_t n = 0;
        if (!absl::SimpleAtoi(part, &n) || n < 6) {
          std::fprintf(stderr, "--events wants sizes of at least 6, comma separated\n");
          return 2;
        }
        sizes.push_back(n);
      }
    }
  if (arenas > 0) mallopt(M_ARENA_MAX, arenas);
  (void)common::InitLogging({.service = "bench", .level = "info"});  // the rebuild's own line: where it waited
  std::printf("referral projection rebuild from its journal (RocksDB, fsync'd appends), per size\n");
  for (int64_t n : sizes) RunSize(n, rebuilds);
  return 0;
}
