#include "yilian/eventstore/projection.h"

#include <algorithm>
#include <vector>

#include "key_filter.h"
#include "yilian/common/strings.h"

namespace yilian::eventstore {

RowOverlay::RowOverlay(uint64_t expected_keys) : written_(std::make_unique<KeyFilter>(expected_keys)) {}

RowOverlay::~RowOverlay() { (void)Finish(); }

const std::optional<std::string>* RowOverlay::Find(std::string_view key) const {
  if (auto it = rows_.find(common::Sv(key)); it != rows_.end()) return &it->second.value;  // heterogeneous: no copy
  if (auto it = writing_.find(common::Sv(key)); it != writing_.end()) return &it->second.value;
  return nullptr;
}

bool RowOverlay::MayBeStored(std::string_view key) const { return written_->MayContain(key); }

void RowOverlay::Put(std::string_view key, std::string_view value) {
  auto [it, added] = rows_.try_emplace(common::Sv(key));
  if (added) {
    it->second.below = written_->MayContain(key);
    if (!it->second.below) written_->Add(key);
  }
  it->second.value.emplace(value);
}

void RowOverlay::Delete(std::string_view key) {
  auto it = rows_.find(common::Sv(key));
  if (it == rows_.end()) {
    // Never put: nothing to delete anywhere. Else the store (or the write in flight) may hold it.
    if (written_->MayContain(key)) rows_.emplace(std::string(key), Row{std::nullopt, true});
  } else if (!it->second.below) {
    rows_.erase(it);  // put within this chunk over nothing: it leaves no trace
  } else {
    it->second.value.reset();
  }
}

absl::Status RowOverlay::Finish() {
  absl::Status s = done_.valid() ? done_.get() : absl::OkStatus();
  writing_.clear();
  return s;
}

absl::Status RowOverlay::WriteBehind(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
  if (auto s = Finish(); !s.ok()) return s;
  writing_.swap(rows_);
  done_ = std::async(std::launch::async, [db, cf, rows = &writing_]() {
    // In key order: the memtable's skip list then inserts each row next to the one before
    // instead of searching from its top (in hash order that search was most of a rebuild).
    std::vector<const Rows::value_type*> ordered;
    ordered.reserve(rows->size());
    for (const auto& row : *rows) ordered.push_back(&row);
    std::sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
    rocksdb::WriteBatch batch;
    for (const auto* row : ordered) {
      if (row->second.value) {
        batch.Put(cf, row->first, *row->second.value);
      } else {
        batch.Delete(cf, row->first);
      }
    }
    rocksdb::WriteOptions no_wal;
    no_wal.disableWAL = true;  // the rebuild ends with a flush
    return FromRocks(db->Write(no_wal, &batch), "writing rebuilt projection");
  });
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> ProjectionBatch::Get(std::string_view key) {
  std::string value;
  rocksdb::Status s;
  if (overlay_ != nullptr) {
    if (const auto* row = overlay_->Find(key)) return *row;
    if (!overlay_->MayBeStored(key)) return std::nullopt;
    s = store_.db()->Get(rocksdb::ReadOptions(), cf_, rocksdb::Slice(key.data(), key.size()), &value);
  } else {
    s = batch_->GetFromBatchAndDB(store_.db(), rocksdb::ReadOptions(), cf_, rocksdb::Slice(key.data(), key.size()),
                                  &value);
  }
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "reading projection");
  return value;
}

void ProjectionBatch::Put(std::string_view key, std::string_view value) {
  if (overlay_ != nullptr) return overlay_->Put(key, value);
  batch_->Put(cf_, rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size()));
}

void ProjectionBatch::Delete(std::string_view key) {
  if (overlay_ != nullptr) return overlay_->Delete(key);
  batch_->Delete(cf_, rocksdb::Slice(key.data(), key.size()));
}

}  // namespace yilian::eventstore
