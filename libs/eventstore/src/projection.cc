#include "yilian/eventstore/projection.h"

#include "yilian/common/strings.h"

namespace yilian::eventstore {

const std::optional<std::string>* RowOverlay::Find(std::string_view key) const {
  auto it = rows_.find(common::Sv(key));  // heterogeneous: no copy of the key
  return it == rows_.end() ? nullptr : &it->second;
}

void RowOverlay::DrainInto(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* cf) {
  for (auto& [key, value] : rows_) {
    if (value) {
      batch.Put(cf, key, *value);
    } else {
      batch.Delete(cf, key);
    }
  }
  rows_.clear();
}

absl::StatusOr<std::optional<std::string>> ProjectionBatch::Get(std::string_view key) {
  std::string value;
  rocksdb::Status s;
  if (overlay_ != nullptr) {
    if (const auto* row = overlay_->Find(key)) return *row;
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
