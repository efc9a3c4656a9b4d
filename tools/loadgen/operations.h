#pragma once
// The operations of the load, as gRPC calls against the running platform: each sends the
// bearer token of the principal who would do it (authorization: Bearer <token>), with a fresh
// request_id per mutating call and pseudonymous patients ("pt-load-<n>"). Each records its
// own row (latency from when it started or, open loop, was due) and, for the compound ones,
// a row per step ("lifecycle/accept", latency of that call alone; the first step also from
// the due time). Thread-safe: one Operations is shared by every worker.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "home.h"
#include "mix.h"
#include "schedule.h"
#include "tally.h"
#include "yilian/audit/v1/audit.grpc.pb.h"
#include "yilian/greenchannel/v1/greenchannel.grpc.pb.h"
#include "yilian/referral/v1/referral_service.grpc.pb.h"

namespace yilian::loadgen {

struct OpSettings {
  std::string tag;                          // makes this run's request ids unique: "lg-<tag>-<n>"
  int replay_batch = 100;                   // entries per streamed replay batch
  std::chrono::milliseconds timeout{5000};  // deadline of each call
};

class Operations {
 public:
  Operations(const Home& home, OpSettings settings);

  // Runs `op` once. Its latency counts from `started`; rows go into `tally` unless it is null
  // (warm-up). A failed step ends the operation, recorded under that step's gRPC code.
  void Run(Op op, Clock::time_point started, Tally* tally);
  // One empty unary call, grpc.health.v1.Health/Check, on the referral service (row "ceiling").
  void Ping(Clock::time_point started, Tally* tally);
  // Asks every service's health check within `deadline`; UNAVAILABLE naming the first service
  // that does not answer SERVING.
  absl::Status Reachable(std::chrono::milliseconds deadline);

  // Rows in the order a report shows them: each operation, then its steps.
  static std::vector<std::string> RowOrder();
  const std::string& ceiling_target() const { return referral_address_; }

 private:
  std::unique_ptr<grpc::ClientContext> Context(const std::string& principal) const;
  std::string NextId();
  grpc::Status Submit(const char* row, Clock::time_point from, referral::v1::ServiceKind kind, Tally* tally,
                      std::string* referral_id);
  grpc::Status Lifecycle(Clock::time_point started, Tally* tally);
  grpc::Status Case(Clock::time_point started, Tally* tally);
  grpc::Status Board(Clock::time_point started);
  grpc::Status Replay(Clock::time_point started, int64_t* entries);
  void Remember(const std::string& referral_id);
  std::string Recent();

  const Home home_;
  const OpSettings settings_;
  const std::string referral_address_;
  std::unique_ptr<referral::v1::Referrals::Stub> referrals_;
  std::unique_ptr<greenchannel::v1::GreenChannel::Stub> greenchannel_;
  std::unique_ptr<audit::v1::Audit::Stub> audit_;
  std::vector<std::unique_ptr<grpc::health::v1::Health::Stub>> health_;  // one per service, referral first
  std::atomic<int64_t> serial_{0};
  std::mutex mu_;
  std::vector<std::string> recent_ ABSL_GUARDED_BY(mu_);  // referral ids submitted lately (a ring)
  size_t recent_next_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace yilian::loadgen
