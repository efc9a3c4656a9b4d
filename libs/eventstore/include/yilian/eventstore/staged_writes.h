#pragma once
// StagedWrites: the writes of one atomic RocksDB batch while it is built, with read-your-writes
// for the rows a projector stages (ProjectionBatch) and save points to take back a rejected
// command's part.
//
// Two kinds of write, never mixed within one column family (a row would not see a raw write to
// its key, and would win over it whatever their order):
//   - `raw()`: appended to a plain WriteBatch as they come (journal entries, stream and
//     aggregate rows, idempotency records: nothing reads them back before the write);
//   - `Put`/`Delete`: rows kept in a hash map (latest value or deletion per key, keys and values
//     in one arena), readable with `Find`, and written once each, in key order, by `Seal`.
// It replaces rocksdb::WriteBatchWithIndex, whose ordered skip-list index cost a search per
// write and per read (a third of the audit's journal writer thread) and kept every version of a
// rewritten row in the batch, for the memtable to insert again.
//
// Not thread-safe: one writer builds a batch, seals it, writes it, and clears it.

#include <cstdint>
#include <memory>
#include <memory_resource>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace yilian::eventstore {

class StagedWrites {
 public:
  StagedWrites();
  StagedWrites(const StagedWrites&) = delete;
  StagedWrites& operator=(const StagedWrites&) = delete;

  rocksdb::WriteBatch& raw() { return raw_; }

  enum class Found { kPut, kDeleted, kAbsent };  // kAbsent: not staged; read the store
  // `*value` is valid until the next write to this object.
  Found Find(rocksdb::ColumnFamilyHandle* cf, std::string_view key, std::string_view* value) const;
  void Put(rocksdb::ColumnFamilyHandle* cf, std::string_view key, std::string_view value);
  void Delete(rocksdb::ColumnFamilyHandle* cf, std::string_view key);

  // Save points nest. RollbackToSavePoint takes back every write since the latest one (raw
  // and rows) and drops it; PopSavePoint keeps the writes and drops it.
  void SetSavePoint();
  void RollbackToSavePoint();
  void PopSavePoint();

  // Writes staged so far (every raw write, Put and Delete, rewrites included).
  uint32_t Count() const { return raw_.Count() + row_ops_; }
  bool empty() const { return Count() == 0; }
  // Appends every row's final state to the raw batch, in (column family, key) order, and
  // returns the batch to write (Count() then counts the rows twice). Staging anything after it,
  // or sealing with a save point open, is a programming error and aborts: it would lose writes.
  rocksdb::WriteBatch* Seal();
  // Empties everything for the next batch. The raw batch's buffer is kept unless it grew past
  // 4 MiB; the rows' arena and (past 127 rows) their table are freed.
  void Clear();

 private:
  struct Key {
    uint32_t cf;
    std::string_view key;
    bool operator==(const Key& o) const { return cf == o.cf && key == o.key; }
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.cf, k.key);
    }
  };
  struct Row {
    rocksdb::ColumnFamilyHandle* cf = nullptr;
    const char* data = nullptr;  // in the arena
    uint32_t size = 0, capacity = 0;
    // The save point current when the row last took new bytes (0: none). A row written again
    // under that same save point is rewritten in place; under a later one it takes new bytes,
    // since an undo record holds the old ones.
    uint32_t since = 0;
    bool live = false;  // false: deleted
  };
  struct Undo {
    Key key;
    Row prior;
    bool existed;
  };
  struct SavePoint {
    uint32_t mark;
    size_t undo;
    uint32_t row_ops;
  };
  // The row to write `key`'s new state into, its old state saved for the current save point.
  Row& Touch(rocksdb::ColumnFamilyHandle* cf, std::string_view key);
  uint32_t top() const { return saves_.empty() ? 0 : saves_.back().mark; }

  rocksdb::WriteBatch raw_;
  absl::flat_hash_map<Key, Row> rows_;
  std::unique_ptr<std::pmr::monotonic_buffer_resource> arena_;
  std::vector<Undo> undo_;
  std::vector<SavePoint> saves_;
  uint32_t marks_ = 0;  // save points ever set (since Clear)
  uint32_t row_ops_ = 0;
  bool sealed_ = false;
};

}  // namespace yilian::eventstore
