#include "report.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "../../bench/bench_util.h"  // Percentile: the one the in-process benches use
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace yilian::loadgen {

Figures Summarise(const std::string& name, RowData data, double seconds, double ceiling_per_second) {
  Figures f;
  f.name = name;
  f.count = data.count;
  f.failed = data.Failed();
  f.ok = static_cast<int64_t>(data.latency_ms.size());
  f.errors = data.errors;
  f.items = data.items;
  if (seconds > 0) {
    f.per_second = static_cast<double>(f.ok) / seconds;
    f.items_per_second = static_cast<double>(f.items) / seconds;
  }
  auto& v = data.latency_ms;
  if (!v.empty()) {
    f.max = *std::max_element(v.begin(), v.end());
    f.p50 = bench::Percentile(v, 0.50);
    f.p90 = bench::Percentile(v, 0.90);
    f.p99 = bench::Percentile(v, 0.99);
    f.p999 = bench::Percentile(v, 0.999);
  }
  if (ceiling_per_second > 0) f.ceiling_ratio = f.per_second / ceiling_per_second;
  return f;
}

Report BuildReport(const Tally& tally, const std::vector<std::string>& order, double seconds, const RowData* ceiling,
                   double ceiling_seconds) {
  Report r;
  r.seconds = seconds;
  double ceiling_rate = 0;
  if (ceiling != nullptr) {
    r.has_ceiling = true;
    r.ceiling = Summarise("ceiling", *ceiling, ceiling_seconds, 0);
    ceiling_rate = r.ceiling.per_second;
    r.ceiling.ceiling_ratio = ceiling_rate > 0 ? 1.0 : -1;
  }
  std::set<std::string> done;
  for (const auto& name : order) {
    auto it = tally.rows().find(name);
    if (it == tally.rows().end() || !done.insert(name).second) continue;
    r.rows.push_back(Summarise(name, it->second, seconds, ceiling_rate));
  }
  for (const auto& [name, data] : tally.rows())
    if (done.insert(name).second) r.rows.push_back(Summarise(name, data, seconds, ceiling_rate));
  return r;
}

namespace {

std::string Line(const Figures& f, const std::string& label) {
  const std::string ratio = f.ceiling_ratio < 0 ? "-" : absl::StrFormat("%.3f", f.ceiling_ratio);
  return absl::StrFormat("%-22s %9d %7d %10.1f %8.2f %8.2f %8.2f %8.2f %8.2f %8s\n", label, f.count, f.failed,
                         f.per_second, f.p50, f.p90, f.p99, f.p999, f.max, ratio);
}

std::string ErrorText(const std::map<std::string, int64_t>& errors) {
  std::vector<std::string> parts;
  for (const auto& [code, n] : errors) parts.push_back(absl::StrCat(code, " ", n));
  return absl::StrJoin(parts, ", ");
}

nlohmann::json RowJson(const Figures& f) {
  nlohmann::json j = {
      {"name", f.name},
      {"count", f.count},
      {"ok", f.ok},
      {"failed", f.failed},
      {"errors", f.errors},
      {"per_second", f.per_second},
      {"latency_ms", {{"p50", f.p50}, {"p90", f.p90}, {"p99", f.p99}, {"p999", f.p999}, {"max", f.max}}}};
  if (f.items > 0) {
    j["items"] = f.items;
    j["items_per_second"] = f.items_per_second;
  }
  if (f.ceiling_ratio >= 0) j["ceiling_ratio"] = f.ceiling_ratio;
  return j;
}

}  // namespace

std::string RenderText(const Report& r) {
  std::string out = absl::StrCat(r.setup, "\n");
  absl::StrAppend(&out, absl::StrFormat("%-22s %9s %7s %10s %8s %8s %8s %8s %8s %8s\n", "operation", "count", "errors",
                                        "ok/s", "p50 ms", "p90 ms", "p99 ms", "p999 ms", "max ms", "ceiling"));
  for (const auto& f : r.rows) {
    const bool step = f.name.find('/') != std::string::npos;
    absl::StrAppend(&out, Line(f, step ? "  " + f.name : f.name));
  }
  if (r.has_ceiling)
    absl::StrAppend(&out, Line(r.ceiling, "ceiling (empty call)"),
                    absl::StrFormat("ceiling: grpc.health.v1.Health/Check on %s, closed loop at %d\n", r.ceiling_target,
                                    r.ceiling_concurrency));
  for (const auto& f : r.rows)
    if (f.items > 0)
      absl::StrAppend(&out, absl::StrFormat("%s: %d entries streamed, %.0f/s\n", f.name, f.items, f.items_per_second));
  for (const auto& f : r.rows)
    if (f.failed > 0) absl::StrAppend(&out, "errors of ", f.name, ": ", ErrorText(f.errors), "\n");
  if (r.has_ceiling && r.ceiling.failed > 0)
    absl::StrAppend(&out, "errors of the ceiling: ", ErrorText(r.ceiling.errors), "\n");
  if (r.behind_schedule > 0)
    absl::StrAppend(&out, absl::StrFormat("%d open-loop calls were never sent: the service fell too far behind\n",
                                          r.behind_schedule));
  if (!r.propagation.empty()) {
    absl::StrAppend(&out, absl::StrFormat("%-26s %9s %10s %8s %8s %8s %8s %8s\n", "propagation (commit->applied)",
                                          "events", "events/s", "p50 ms", "p90 ms", "p99 ms", "p999 ms", "max ms"));
    for (const auto& f : r.propagation)
      absl::StrAppend(&out, absl::StrFormat("%-26s %9d %10.1f %8.2f %8.2f %8.2f %8.2f %8.2f\n", f.name, f.count,
                                            f.per_second, f.p50, f.p90, f.p99, f.p999, f.max));
  }
  if (!r.propagation_note.empty()) absl::StrAppend(&out, "propagation: ", r.propagation_note, "\n");
  return out;
}

nlohmann::json ToJson(const Report& r) {
  nlohmann::json j = {{"setup", r.setup_json}, {"measured_seconds", r.seconds}, {"behind_schedule", r.behind_schedule}};
  j["rows"] = nlohmann::json::array();
  for (const auto& f : r.rows) j["rows"].push_back(RowJson(f));
  if (r.has_ceiling) {
    j["ceiling"] = RowJson(r.ceiling);
    j["ceiling"]["concurrency"] = r.ceiling_concurrency;
    j["ceiling"]["target"] = r.ceiling_target;
  }
  j["propagation"] = nlohmann::json::array();
  for (const auto& f : r.propagation) {
    nlohmann::json row = RowJson(f);
    row.erase("errors");
    row.erase("failed");
    j["propagation"].push_back(row);
  }
  if (!r.propagation_note.empty()) j["propagation_note"] = r.propagation_note;
  return j;
}

}  // namespace yilian::loadgen
