#include "yilian/eventstore/projection.h"

namespace yilian::eventstore {

absl::StatusOr<std::optional<std::string>> ProjectionBatch::Get(std::string_view key) {
  std::string value;
  auto s = batch_->GetFromBatchAndDB(store_.db(), rocksdb::ReadOptions(), cf_,
                                     rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "reading projection");
  return value;
}

void ProjectionBatch::Put(std::string_view key, std::string_view value) {
  batch_->Put(cf_, rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size()));
}

void ProjectionBatch::Delete(std::string_view key) {
  batch_->Delete(cf_, rocksdb::Slice(key.data(), key.size()));
}

}  // namespace yilian::eventstore
