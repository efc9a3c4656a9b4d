// Prints the referral service's durable submission rate on this machine: Submit over gRPC
// (loopback), the rules checked against the registry mirror, the event appended durably
// (fsync'd group commit) before the reply, at 1, 16 and 64 concurrent clients. Beside it, the
// ceiling: an empty unary call (grpc.health.v1 Check) against the same server.
// Goal (issue 9): >= 20,000 submissions/s closed-loop at p99 <= 10 ms, >= 0.5 of the ceiling.
// Then GetReferral, with an identity shown (its IdentityRevealed record made durable before the
// answer) beside one without, at 1 and 16 clients.
// Usage: referral_bench [--calls=20000] [--clients=N]   (calls per level; --clients: that level only)
#include <cstdio>
#include <cstring>
#include <future>

#include "bench_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "referral_node.h"
#include "yilian/common/logging.h"
#include "yilian/domain/referral/referral.h"
#include "yilian/testing/temp_dir.h"

using namespace yilian;
using bench::Figures;
using bench::Percentile;
using bench::Run;
using bench::SteadyClock;
namespace fv1 = ::yilian::referral::v1;

int main(int argc, char** argv) {
  int calls = 20000;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--calls=", 8) == 0) calls = std::atoi(argv[i] + 8);
  (void)common::InitLogging({"bench", "warn", ""});
  testing::TempDir dir;
  referral::ReferralNode node(dir.Sub("node"));
  node.ImportSample(YILIAN_SAMPLE_FILE);
  std::printf("referral Submit (gRPC loopback, rules + durable append before the reply), %d calls per level\n", calls);
  auto channel = grpc::CreateChannel(node.stack->address(), grpc::InsecureChannelCredentials());
  auto stub = fv1::Referrals::NewStub(channel);
  auto health = grpc::health::v1::Health::NewStub(channel);
  const char* senders[] = {"qiaotouhe-doc", "dutoutang-doc"};
  std::atomic<int64_t> serial{0};
  auto submit = [&](int, int i) {
    fv1::SubmitReferralRequest req;
    auto* r = req.mutable_referral();
    r->set_direction(fv1::UPWARD);
    r->set_receiver_institution_id("loudi-1st");
    r->mutable_patient()->set_value("pt-bench-" + std::to_string(i % 5000));
    r->set_reason("chest pain on exertion, needs cardiology");
    *r->add_diagnoses() = ::yilian::domain::referral::Icd10("I20.9");
    r->set_priority(i % 10 == 0 ? fv1::ASAP : fv1::ROUTINE);
    r->set_requested_service(fv1::EXPERT_OUTPATIENT);
    req.set_request_id("bench-" + std::to_string(serial.fetch_add(1)));
    fv1::ReferralReply out;
    return stub->Submit(referral::ReferralNode::As(senders[i % 2]).get(), req, &out).ok();
  };
  auto empty = [&](int, int) {
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse out;
    grpc::ClientContext ctx;
    return health->Check(&ctx, req, &out).ok();
  };
  for (int threads : bench::Levels(argc, argv, {1, 16, 64})) {
    Run(threads, std::min(calls, 500), submit, [](int, int) {});  // warm-up
    const Figures f = Run(threads, calls, submit, [](int, int) {});
    const Figures c = Run(threads, calls, empty, [](int, int) {});
    std::printf("%2d clients: %7.0f submits/s  p50 %.2f ms  p99 %.2f ms  p999 %.2f ms  max %.2f ms  errors %d\n",
                threads, f.per_second, f.p50, f.p99, f.p999, f.max, f.errors);
    std::printf("   empty call: %7.0f calls/s  p50 %.2f ms  p99 %.2f ms   -> submits at %.2f of the ceiling\n",
                c.per_second, c.p50, c.p99, f.per_second / c.per_second);
  }
  {  // reads: GetReferral showing an identity (recorded, durably, before the answer) beside the
     // same read of a referral without one (nothing written), in one run
    // The id each submission got ("" when refused).
    auto submitted = [&](const std::string& id, bool identity) -> std::string {
      fv1::SubmitReferralRequest req;
      auto* r = req.mutable_referral();
      r->set_direction(fv1::UPWARD);
      r->set_receiver_institution_id("loudi-1st");
      r->mutable_patient()->set_value("pt-read-" + id);
      r->set_reason("bench");
      r->set_priority(fv1::ROUTINE);
      r->set_requested_service(fv1::EXAMINATION);
      if (identity) req.mutable_identity()->set_name("Bench Patient");
      req.set_request_id("read-" + id);
      fv1::ReferralReply out;
      return stub->Submit(referral::ReferralNode::As("qiaotouhe-doc").get(), req, &out).ok()
                 ? out.referral().referral_id()
                 : "";
    };
    const std::string shown_id = submitted("read-shown", true), plain_id = submitted("read-plain", false);
    if (shown_id.empty() || plain_id.empty()) std::printf("read setup failed\n");
    auto read = [&](const std::string& id) {
      return [&, id](int, int) {
        fv1::GetReferralRequest req;
        req.set_referral_id(id);
        fv1::GetReferralResponse out;
        return stub->GetReferral(referral::ReferralNode::As("loudi-doc").get(), req, &out).ok();
      };
    };
    for (int threads : bench::Levels(argc, argv, {1, 16})) {
      const int n = std::min(calls, 5000);
      const Figures plain = Run(threads, n, read(plain_id), [](int, int) {});
      const Figures shown = Run(threads, n, read(shown_id), [](int, int) {});
      std::printf(
          "%2d clients GetReferral: no identity %7.0f/s p99 %.2f ms; identity shown (recorded) %7.0f/s p99 %.2f "
          "ms -> %.2f of the rate\n",
          threads, plain.per_second, plain.p99, shown.per_second, shown.p99, shown.per_second / plain.per_second);
    }
  }
  {  // the same submission without gRPC, one caller: what the service itself costs
    std::vector<double> lat;
    command::Call call;
    call.actor = {"dr@qiaotouhe-thc", "qiaotouhe-thc", common::Role::ROLE_CLINICIAN};
    for (int i = 0; i < std::min(calls, 2000); ++i) {
      fv1::Referral d;
      d.set_direction(fv1::UPWARD);
      d.set_sender_institution_id("qiaotouhe-thc");
      d.set_sender_clinician("dr@qiaotouhe-thc");
      d.set_receiver_institution_id("loudi-1st");
      d.mutable_patient()->set_value("pt-direct");
      d.set_reason("bench");
      d.set_priority(fv1::ROUTINE);
      d.set_requested_service(fv1::EXAMINATION);
      call.idempotency_key = "direct-" + std::to_string(i);
      call.request_hash = call.idempotency_key;
      const auto t0 = SteadyClock::now();
      fv1::SubmitReferralRequest req;
      *req.mutable_referral() = d;
      std::promise<absl::StatusOr<fv1::ReferralReply>> answered;
      node.stack->commands().Submit(call, req,
                                    [&](absl::StatusOr<fv1::ReferralReply> r) { answered.set_value(std::move(r)); });
      auto r = answered.get_future().get();
      lat.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count());
      if (!r.ok()) std::printf("direct submit: %s\n", r.status().ToString().c_str());
    }
    std::printf(" 1 caller, no gRPC (ReferralCommands::Submit): p50 %.2f ms  p99 %.2f ms\n", Percentile(lat, 0.5),
                Percentile(lat, 0.99));
  }
  return 0;
}
