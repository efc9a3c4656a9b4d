#pragma once
// What the load generator runs: the operations, a weighted mix of them (--mix), and the
// dedicated streams of one operation (--op). Pure parsing and choice; no I/O, no gRPC.
// Everything here is a value type, safe to share read-only between threads.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace yilian::loadgen {

// One user-visible operation; each may be several RPCs (its steps).
enum class Op {
  kSubmit,     // a township clinician submits a referral to the lead hospital
  kLifecycle,  // submit, then the lead hospital acknowledges, accepts, schedules, records arrival, completes
  kCase,       // 120 dispatch opens an emergency case (bed held), then closes it (bed released)
  kBoard,      // a bed board query
  kReplay,     // an auditor replays one referral's history from the archive
};
inline constexpr std::array<Op, 5> kAllOps = {Op::kSubmit, Op::kLifecycle, Op::kCase, Op::kBoard, Op::kReplay};

const char* OpName(Op op);
// "submit" -> Op::kSubmit; an unknown name is INVALID_ARGUMENT listing the known ones.
absl::StatusOr<Op> ParseOp(const std::string& name);

// Relative weights, one per operation (0: never). At least one is positive.
struct Mix {
  std::array<int64_t, kAllOps.size()> weight{};
  int64_t Total() const;
  bool Empty() const { return Total() == 0; }
};

// "submit:60,lifecycle:10,case:10,board:15,replay:5": name:weight pairs, each operation at
// most once, weights whole numbers 0..1000000, at least one positive. The empty string is the
// empty mix (no mix stream). Errors name the offending entry.
absl::StatusOr<Mix> ParseMix(const std::string& text);
std::string MixToString(const Mix& mix);

// The operation a uniform draw u in [0, 1) picks: the one whose cumulative weight range,
// in the order of kAllOps, contains u * Total(). Requires !mix.Empty().
Op Pick(const Mix& mix, double u);

// A deterministic uniform draw in [0, 1) for ticket `i` of a run seeded with `seed`
// (SplitMix64), so the open loop's i-th call does the same operation in every run.
double UniformFor(uint64_t seed, uint64_t i);

// A dedicated stream of one operation: closed loop (concurrency > 0) or fixed rate (rate > 0).
struct StreamSpec {
  Op op = Op::kSubmit;
  int concurrency = 0;
  double rate = 0;
};
// "case:conc=16" or "submit:rate=1400" (--op); concurrency 1..4096, rate > 0 and <= 1e6.
absl::StatusOr<StreamSpec> ParseStreamSpec(const std::string& text);

}  // namespace yilian::loadgen
