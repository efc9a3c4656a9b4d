#pragma once
// The figures of a run and how they are printed: per row, count, errors by gRPC code,
// throughput, latency percentiles (p50/p90/p99/p999/max, ms, of the successful calls) and the
// ratio of its throughput to the machine's ceiling (empty unary calls at the same
// concurrency). Pure: no clock, no I/O; value types.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tally.h"

namespace yilian::loadgen {

struct Figures {
  std::string name;
  int64_t count = 0, ok = 0, failed = 0;
  std::map<std::string, int64_t> errors;  // gRPC code name -> calls
  double per_second = 0;                  // successful calls per measured second
  int64_t items = 0;
  double items_per_second = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;  // ms
  double ceiling_ratio = -1;                            // per_second / the ceiling's; -1 when there is no ceiling
};

// The figures of `data` over `seconds` measured (its latencies are reordered). With
// ceiling_per_second > 0 the ratio is set. Percentiles are bench::Percentile's: the value at
// index floor(p * n) of the sorted latencies.
Figures Summarise(const std::string& name, RowData data, double seconds, double ceiling_per_second);

struct Report {
  std::string setup;  // one line: what ran (mix, streams, window)
  nlohmann::json setup_json = nlohmann::json::object();
  double seconds = 0;  // measured window
  std::vector<Figures> rows;
  bool has_ceiling = false;
  Figures ceiling;  // grpc.health.v1.Health/Check, closed loop
  int ceiling_concurrency = 0;
  std::string ceiling_target;   // the address called
  int64_t behind_schedule = 0;  // open-loop calls never sent: the run ended too far behind
  // Event propagation in the window, one row per "<source> -> <consumer>" (propagation.h);
  // `propagation_note` says why there are none, or that the consumers had not caught up.
  std::vector<Figures> propagation;
  std::string propagation_note;
};

// Builds the report's rows from a merged tally: rows in `order` first (those present), then any
// others by name. The ceiling (if `ceiling` is non-null) is summarised first, and every row's
// ratio is taken against it.
Report BuildReport(const Tally& tally, const std::vector<std::string>& order, double seconds, const RowData* ceiling,
                   double ceiling_seconds);

std::string RenderText(const Report& report);
nlohmann::json ToJson(const Report& report);

}  // namespace yilian::loadgen
