#include "yilian/eventstore/projection.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "key_filter.h"
#include "yilian/common/strings.h"

namespace yilian::eventstore {

RowOverlay::RowOverlay(uint64_t expected_keys) : written_(std::make_unique<KeyFilter>(expected_keys)) {}

RowOverlay::~RowOverlay() { (void)Finish(); }

const RowOverlay::Row* RowOverlay::Lookup(const Chunk& chunk, std::string_view key, size_t hash) {
  auto it = chunk.rows.find(key, hash);
  return it == chunk.rows.end() ? nullptr : &it->second;
}

RowOverlay::Found RowOverlay::Find(std::string_view key, std::optional<std::string_view>* value) const {
  const size_t hash = rows_.rows.hash_function()(key);  // one hashing for the chunks and the filter
  written_->Prefetch(hash);                             // read next when neither chunk has the key
  const Row* row = Lookup(rows_, key, hash);
  if (row == nullptr) row = Lookup(writing_, key, hash);
  if (row == nullptr) return written_->MayContain(hash) ? Found::kStore : Found::kNowhere;
  *value = row->live ? std::optional<std::string_view>(std::string_view(row->data, row->size)) : std::nullopt;
  return Found::kHere;
}

RowOverlay::Rows::iterator RowOverlay::AddRow(std::string_view key, Row row) {
  char* copy = static_cast<char*>(rows_.bytes->allocate(key.size(), 1));  // the chunk's buffer holds the key
  std::memcpy(copy, key.data(), key.size());
  return rows_.rows.emplace(std::string_view(copy, key.size()), row).first;
}

void RowOverlay::Put(std::string_view key, std::string_view value) {
  const size_t hash = rows_.rows.hash_function()(key);  // one hashing for the chunks and the filter
  written_->Prefetch(hash);                             // its block loads while the chunk is searched
  auto it = rows_.rows.find(key, hash);
  if (it == rows_.rows.end()) {
    const bool below = written_->MayContain(hash);
    if (!below) written_->Add(hash);
    it = AddRow(key, Row{.below = below});
  }
  Row& row = it->second;
  if (value.size() > row.capacity) {  // else rewritten in place
    row.capacity = static_cast<uint32_t>(value.size() + value.size() / 4);
    row.data = static_cast<char*>(rows_.bytes->allocate(row.capacity, 1));
  }
  if (!value.empty()) std::memcpy(row.data, value.data(), value.size());
  row.size = static_cast<uint32_t>(value.size());
  row.live = true;
}

void RowOverlay::Delete(std::string_view key) {
  const size_t hash = rows_.rows.hash_function()(key);  // one hashing for the chunks and the filter
  written_->Prefetch(hash);
  auto it = rows_.rows.find(key, hash);
  if (it == rows_.rows.end()) {
    // Never put: nothing to delete anywhere. Else the store (or the write in flight) may hold it.
    if (written_->MayContain(hash)) AddRow(key, Row{.below = true});
  } else if (!it->second.below) {
    rows_.rows.erase(it);  // put within this chunk over nothing: it leaves no trace
  } else {
    it->second.live = false;
  }
}

absl::Status RowOverlay::Finish() {
  absl::Status s = done_.valid() ? done_.get() : absl::OkStatus();
  writing_.rows.clear();
  writing_.bytes->release();
  return s;
}

absl::Status RowOverlay::WriteBehind(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
  if (auto s = Finish(); !s.ok()) return s;
  std::swap(writing_, rows_);
  done_ = std::async(std::launch::async, [db, cf, rows = &writing_.rows]() {
    // In key order: the memtable's skip list then inserts each row next to the one before
    // instead of searching from its top (in hash order that search was most of a rebuild).
    std::vector<const Rows::value_type*> ordered;
    ordered.reserve(rows->size());
    for (const auto& row : *rows) ordered.push_back(&row);
    std::sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
    rocksdb::WriteBatch batch;
    for (const auto* row : ordered) {
      const rocksdb::Slice key(row->first.data(), row->first.size());
      if (row->second.live) {
        batch.Put(cf, key, rocksdb::Slice(row->second.data, row->second.size));
      } else {
        batch.Delete(cf, key);
      }
    }
    rocksdb::WriteOptions no_wal;
    no_wal.disableWAL = true;  // the rebuild ends with a flush
    return FromRocks(db->Write(no_wal, &batch), "writing rebuilt projection");
  });
  return absl::OkStatus();
}

absl::StatusOr<bool> ProjectionBatch::Get(std::string_view key, std::string* value) {
  if (overlay_ != nullptr) {
    std::optional<std::string_view> row;
    switch (overlay_->Find(key, &row)) {
      case RowOverlay::Found::kHere:
        if (row) value->assign(*row);
        return row.has_value();
      case RowOverlay::Found::kNowhere:
        return false;
      case RowOverlay::Found::kStore:
        break;
    }
  } else {
    std::string_view row;
    switch (batch_->Find(cf_, key, &row)) {
      case StagedWrites::Found::kPut:
        value->assign(row);
        return true;
      case StagedWrites::Found::kDeleted:
        return false;
      case StagedWrites::Found::kAbsent:
        break;
    }
  }
  const rocksdb::Status s =
      store_.db()->Get(rocksdb::ReadOptions(), cf_, rocksdb::Slice(key.data(), key.size()), value);
  if (s.IsNotFound()) return false;
  if (!s.ok()) return FromRocks(s, "reading projection");
  return true;
}

absl::StatusOr<std::optional<std::string>> ProjectionBatch::Get(std::string_view key) {
  std::string value;
  auto found = Get(key, &value);
  if (!found.ok()) return found.status();
  if (!*found) return std::nullopt;
  return value;
}

void ProjectionBatch::Put(std::string_view key, std::string_view value) {
  if (overlay_ != nullptr) return overlay_->Put(key, value);
  batch_->Put(cf_, key, value);
}

void ProjectionBatch::Delete(std::string_view key) {
  if (overlay_ != nullptr) return overlay_->Delete(key);
  batch_->Delete(cf_, key);
}

}  // namespace yilian::eventstore
