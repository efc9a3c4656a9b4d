#pragma once
// What the workers observed: per row (an operation like "submit", or one of its steps like
// "case/open"), the latencies of the successful calls, the failures by gRPC code and the items
// streamed (replay entries). One Tally per worker thread, merged at the end: not thread-safe.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace yilian::loadgen {

struct RowData {
  int64_t count = 0;                      // calls made (ok + failed)
  std::vector<double> latency_ms;         // of the successful calls
  std::map<std::string, int64_t> errors;  // gRPC code name -> failed calls
  int64_t items = 0;                      // streamed items (replay entries)
  int64_t Failed() const;
};

class Tally {
 public:
  // `code` is the gRPC status code number (0 = OK); a failure is counted under its name.
  void Record(const std::string& row, int code, double latency_ms, int64_t items = 0);
  void Merge(const Tally& other);
  const std::map<std::string, RowData>& rows() const { return rows_; }

 private:
  std::map<std::string, RowData> rows_;
};

// "UNAVAILABLE" for 14; the number for a code outside 0..16.
std::string CodeName(int code);

}  // namespace yilian::loadgen
