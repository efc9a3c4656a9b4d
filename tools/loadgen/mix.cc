#include "mix.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace yilian::loadgen {

namespace {

std::string KnownOps() {
  std::vector<std::string> names;
  for (Op op : kAllOps) names.push_back(OpName(op));
  return absl::StrJoin(names, ", ");
}

}  // namespace

const char* OpName(Op op) {
  switch (op) {
    case Op::kSubmit:
      return "submit";
    case Op::kLifecycle:
      return "lifecycle";
    case Op::kCase:
      return "case";
    case Op::kBoard:
      return "board";
    case Op::kReplay:
      return "replay";
  }
  return "?";
}

absl::StatusOr<Op> ParseOp(const std::string& name) {
  for (Op op : kAllOps)
    if (name == OpName(op)) return op;
  return absl::InvalidArgumentError(absl::StrCat("unknown operation \"", name, "\"; known: ", KnownOps()));
}

int64_t Mix::Total() const {
  int64_t total = 0;
  for (int64_t w : weight) total += w;
  return total;
}

absl::StatusOr<Mix> ParseMix(const std::string& text) {
  Mix mix;
  if (text.empty()) return mix;
  std::array<bool, kAllOps.size()> seen{};
  for (absl::string_view entry : absl::StrSplit(text, ',')) {
    const std::vector<std::string> parts = absl::StrSplit(entry, ':');
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty())
      return absl::InvalidArgumentError(
          absl::StrCat("--mix entry \"", entry, "\" is not name:weight (e.g. submit:60)"));
    auto op = ParseOp(parts[0]);
    if (!op.ok()) return absl::InvalidArgumentError(absl::StrCat("--mix: ", op.status().message()));
    int64_t w = 0;
    if (!absl::SimpleAtoi(parts[1], &w) || w < 0 || w > 1000000)
      return absl::InvalidArgumentError(
          absl::StrCat("--mix: the weight of ", parts[0], " (\"", parts[1], "\") is not a whole number 0..1000000"));
    const size_t i = static_cast<size_t>(*op);
    if (seen[i]) return absl::InvalidArgumentError(absl::StrCat("--mix names ", parts[0], " twice"));
    seen[i] = true;
    mix.weight[i] = w;
  }
  if (mix.Empty())
    return absl::InvalidArgumentError("--mix weights add up to 0; give at least one operation a positive weight");
  return mix;
}

std::string MixToString(const Mix& mix) {
  std::vector<std::string> parts;
  for (Op op : kAllOps)
    if (mix.weight[static_cast<size_t>(op)] > 0)
      parts.push_back(absl::StrCat(OpName(op), ":", mix.weight[static_cast<size_t>(op)]));
  return absl::StrJoin(parts, ",");
}

Op Pick(const Mix& mix, double u) {
  const double target = u * static_cast<double>(mix.Total());
  int64_t upto = 0;
  Op last = kAllOps.front();
  for (Op op : kAllOps) {
    const int64_t w = mix.weight[static_cast<size_t>(op)];
    if (w == 0) continue;
    upto += w;
    last = op;
    if (target < static_cast<double>(upto)) return op;
  }
  return last;  // u rounding up to 1.0
}

double UniformFor(uint64_t seed, uint64_t i) {
  uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

absl::StatusOr<StreamSpec> ParseStreamSpec(const std::string& text) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("--op \"", text, "\" is not name:conc=N or name:rate=R (e.g. case:conc=16, submit:rate=1400)"));
  };
  const size_t colon = text.find(':');
  if (colon == std::string::npos) return bad();
  auto op = ParseOp(text.substr(0, colon));
  if (!op.ok()) return absl::InvalidArgumentError(absl::StrCat("--op: ", op.status().message()));
  const std::string rest = text.substr(colon + 1);
  const size_t eq = rest.find('=');
  if (eq == std::string::npos) return bad();
  const std::string key = rest.substr(0, eq), value = rest.substr(eq + 1);
  StreamSpec spec;
  spec.op = *op;
  if (key == "conc") {
    if (!absl::SimpleAtoi(value, &spec.concurrency) || spec.concurrency < 1 || spec.concurrency > 4096)
      return absl::InvalidArgumentError(absl::StrCat("--op ", text, ": conc must be a whole number 1..4096"));
    return spec;
  }
  if (key == "rate") {
    if (!absl::SimpleAtod(value, &spec.rate) || !(spec.rate > 0) || spec.rate > 1e6)
      return absl::InvalidArgumentError(
          absl::StrCat("--op ", text, ": rate must be a number of calls/s above 0, at most 1000000"));
    return spec;
  }
  return bad();
}

}  // namespace yilian::loadgen
