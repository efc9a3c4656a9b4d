#pragma once
// Store: one service's RocksDB database, split into column families by job.
//
//   journal      sequence (big-endian u64) -> SHA-256 (32 bytes) + serialized Envelope
//   streams      aggregate type \0 id \0 version (BE u64) -> sequence (BE u64)
//   aggregates   aggregate type \0 id -> current version (BE u64)
//   idempotency  key -> yilian.storage.v1.IdempotencyRecord
//   meta         "head" -> head sequence + head hash; other bookkeeping
//   projection   the service's own read model, rebuilt from its journal
//   consumed     read models fed by other services' events and consumer positions (bus)
//
// Thread-safe (RocksDB is). Owns the DB; the journal and projections borrow it. RocksDB itself
// stays inside the event store: others read and write through this API.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "rocksdb/db.h"

namespace yilian::eventstore {

enum class Family { kJournal, kStreams, kAggregates, kIdempotency, kMeta, kProjection, kConsumed };
inline constexpr int kFamilyCount = 7;

// What a store may hold in memory, so a service's footprint stays flat however long its
// journal grows: the block cache (which also holds the SST index and filter blocks), and all
// column families' memtables together (past it RocksDB flushes the largest). Services take
// both from store.cache_mb / store.memtable_mb.
struct StoreBudget {
  size_t block_cache_bytes = 32 << 20;
  size_t memtable_bytes = 32 << 20;
};

class StagedWrites;

struct StoreOptions {
  std::string path;
  StoreBudget budget;
  bool create_if_missing = true;
};

class Store {
 public:
  static absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();

  const std::string& path() const { return path_; }

  // Point read from one family: nullopt when absent.
  absl::StatusOr<std::optional<std::string>> Get(Family f, std::string_view key) const;
  // Visits keys starting with `prefix` in order, from `start` (>= prefix) if given, until
  // `fn` returns false. Returns the number visited.
  absl::StatusOr<int64_t> Scan(Family f, std::string_view prefix, std::string_view start,
                               absl::FunctionRef<bool(std::string_view key, std::string_view value)> fn) const;
  // Visits keys in [begin, end) in order ("" end: to the end of the family) until `fn`
  // returns false. Deleted keys at or after `end` cost nothing.
  absl::StatusOr<int64_t> ScanRange(Family f, std::string_view begin, std::string_view end,
                                    absl::FunctionRef<bool(std::string_view key, std::string_view value)> fn) const;
  // One write to a family outside the journal: puts (value set) and deletes (nullopt), all or
  // none. `sync`: durable when it returns (else it survives a crash of the process, not of the
  // machine).
  struct RowWrite {
    std::string key;
    std::optional<std::string> value;
  };
  absl::Status Write(Family f, const std::vector<RowWrite>& rows, bool sync = false);
  absl::Status Put(Family f, std::string_view key, std::string_view value, bool sync = false);
  absl::Status Delete(Family f, std::string_view key);
  // Seals and writes a batch a ProjectionBatch staged (a consumer's), then clears it.
  absl::Status Write(StagedWrites& staged, bool sync = false);
  // Empties a family (drop and recreate). The caller must ensure nothing writes it meanwhile.
  absl::Status Reset(Family f);
  // Every key/value of a family, for comparisons in tests and tools.
  absl::StatusOr<std::string> Dump(Family f) const;
  // Flushes every memtable to disk (benchmarks that time a read from files).
  absl::Status Flush();
  // A RocksDB integer property summed over the families (e.g. "rocksdb.num-running-compactions").
  absl::StatusOr<uint64_t> IntProperty(const std::string& name) const;

 private:
  friend class Journal;
  friend class ProjectionBatch;
  friend class StoreTestPeer;  // the event store's own white-box tests
  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* cf(Family f) const { return handles_[static_cast<int>(f)]; }
  Store() = default;
  rocksdb::ColumnFamilyOptions FamilyOptions(Family f) const;  // cf_options_ tuned per family
  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* handles_[kFamilyCount] = {};
  rocksdb::ColumnFamilyOptions cf_options_;
};

// rocksdb::Status -> absl::Status, naming what was being done.
absl::Status FromRocks(const rocksdb::Status& s, std::string_view what);

// Big-endian u64 keys sort in numeric order.
std::string EncodeU64(uint64_t v);
uint64_t DecodeU64(std::string_view s);

}  // namespace yilian::eventstore
