#include "tally.h"

namespace yilian::loadgen {

int64_t RowData::Failed() const {
  int64_t n = 0;
  for (const auto& [code, count] : errors) n += count;
  return n;
}

void Tally::Record(const std::string& row, int code, double latency_ms, int64_t items) {
  RowData& r = rows_[row];
  ++r.count;
  r.items += items;
  if (code == 0)
    r.latency_ms.push_back(latency_ms);
  else
    ++r.errors[CodeName(code)];
}

void Tally::Merge(const Tally& other) {
  for (const auto& [name, from] : other.rows_) {
    RowData& to = rows_[name];
    to.count += from.count;
    to.items += from.items;
    to.latency_ms.insert(to.latency_ms.end(), from.latency_ms.begin(), from.latency_ms.end());
    for (const auto& [code, n] : from.errors) to.errors[code] += n;
  }
}

std::string CodeName(int code) {
  static const char* const kNames[] = {
      "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
      "DATA_LOSS", "UNAUTHENTICATED"};
  return code >= 0 && code <= 16 ? kNames[code] : std::to_string(code);
}

}  // namespace yilian::loadgen
