#pragma once
// Projections: the read model a service derives from events.
//
// A Projector folds one event into rows of the store's `projection` family (or, for a
// consumer of another service's events, the `consumed` family) through a ProjectionBatch.
// The journal calls it inside the very WriteBatch that appends the event, so the rows
// are durable exactly when the event is; Journal::RebuildProjections replays the journal
// through the same Projector, so the rebuilt rows equal the ones they replace.
//
// A Projector must be deterministic: its output depends only on the event and the rows
// it reads through the batch. Not thread-safe; the journal calls it from its one writer.

#include <cstdint>
#include <future>
#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "yilian/events/v1/envelope.pb.h"
#include "yilian/eventstore/staged_writes.h"
#include "yilian/eventstore/store.h"

namespace yilian::eventstore {

class KeyFilter;

// Rows written by a bulk fold (a rebuild) into a family that started empty, and not yet in the
// store: the latest value, or deletion, of each key. Reading it is a hash lookup, and writing it
// out writes each key once, however often the fold rewrote it. A filter of every key the fold
// ever put tells, without reading the store, that a key was never written: such a key reads as
// absent, and a row put and deleted again within one chunk leaves nothing, not a tombstone.
// One thread folds; the write runs behind it.
class RowOverlay {
 public:
  // `expected_keys`: how many distinct keys the fold may put (sizes the filter).
  explicit RowOverlay(uint64_t expected_keys);
  ~RowOverlay();
  enum class Found {
    kHere,     // `*value` is the row, nullopt if deleted here; valid until the next Put or WriteBehind
    kNowhere,  // the fold never put the key: the store certainly has no row for it
    kStore,    // not written here: read the store
  };
  Found Find(std::string_view key, std::optional<std::string_view>* value) const;
  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  size_t size() const { return rows_.rows.size(); }
  // Hands every row to a background write into `cf` (in key order, without the WAL) and
  // empties the overlay for the next chunk; the rows stay readable here until written.
  // Waits for the previous write first and returns its status.
  absl::Status WriteBehind(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf);
  // Waits for the write in flight; its status.
  absl::Status Finish();

 private:
  // Keys and values live in the chunk's own buffer (a monotonic arena, released whole once the
  // chunk is written), and a value rewritten in place when it fits: the fold thread calls malloc
  // for a few large blocks, not for every row, so it does not queue on an arena lock that a
  // service's capped malloc arenas (memory.malloc_arenas) make it share with other threads.
  struct Row {
    char* data = nullptr;
    uint32_t size = 0, capacity = 0;
    bool live = false;   // false: deleted here
    bool below = false;  // the key may have a row in the store or in the write in flight
  };
  using Rows = absl::flat_hash_map<std::string_view, Row>;
  struct Chunk {
    Rows rows;
    std::unique_ptr<std::pmr::monotonic_buffer_resource> bytes =
        std::make_unique<std::pmr::monotonic_buffer_resource>(size_t{1} << 20);
  };
  static const Row* Lookup(const Chunk& chunk, std::string_view key, size_t hash);
  Rows::iterator AddRow(std::string_view key, Row row);  // a key new to this chunk

  Chunk rows_;
  Chunk writing_;                       // read-only while the write runs (Find reads it too)
  std::unique_ptr<KeyFilter> written_;  // every key ever put
  std::future<absl::Status> done_;
};

// Read-your-writes access to one family inside a pending batch. Borrowed; valid only
// during the Projector::Apply call it was passed to.
class ProjectionBatch {
 public:
  ProjectionBatch(const Store& store, StagedWrites* batch, Family family)
      : store_(store), batch_(batch), cf_(store.cf(family)) {}
  ProjectionBatch(const Store& store, RowOverlay* overlay, Family family)
      : store_(store), overlay_(overlay), cf_(store.cf(family)) {}

  // The row as this batch would leave it: nullopt when absent.
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key);
  // The same into `*value` (its capacity reused, so a fold that passes the same string every
  // time does not allocate); false when absent, `*value` then unspecified.
  absl::StatusOr<bool> Get(std::string_view key, std::string* value);
  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);

 private:
  const Store& store_;
  StagedWrites* batch_ = nullptr;
  RowOverlay* overlay_ = nullptr;
  rocksdb::ColumnFamilyHandle* cf_;
};

class Projector {
 public:
  virtual ~Projector() = default;
  // Folds `event` into rows. A non-OK status rejects the whole append it belongs to
  // (nothing of it is written) and is returned to that append's caller.
  virtual absl::Status Apply(const events::v1::Envelope& event, ProjectionBatch& rows) = 0;
  // What a bus consumer calls: `stored` is the entry exactly as its source stored it
  // (SHA-256(stored) is its hash in the source's chain). By default the parsed event is folded.
  virtual absl::Status ApplyEntry(const events::v1::Envelope& event, std::string_view stored, ProjectionBatch& rows) {
    (void)stored;
    return Apply(event, rows);
  }
};

}  // namespace yilian::eventstore
