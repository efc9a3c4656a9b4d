#include "yilian/eventstore/staged_writes.h"

#include <algorithm>
#include <cstring>

#include "absl/base/internal/raw_logging.h"

namespace yilian::eventstore {

namespace {
constexpr size_t kArenaStart = size_t{64} << 10;
constexpr size_t kKeepBytes = size_t{4} << 20;
}  // namespace

StagedWrites::StagedWrites() : arena_(std::make_unique<std::pmr::monotonic_buffer_resource>(kArenaStart)) {}

StagedWrites::Found StagedWrites::Find(rocksdb::ColumnFamilyHandle* cf, std::string_view key,
                                       std::string_view* value) const {
  auto it = rows_.find(Key{cf->GetID(), key});
  if (it == rows_.end()) return Found::kAbsent;
  if (!it->second.live) return Found::kDeleted;
  *value = std::string_view(it->second.data, it->second.size);
  return Found::kPut;
}

StagedWrites::Row& StagedWrites::Touch(rocksdb::ColumnFamilyHandle* cf, std::string_view key) {
  ABSL_RAW_CHECK(!sealed_, "StagedWrites: a row staged after Seal would never be written");
  const uint32_t id = cf->GetID();
  const uint32_t t = top();
  auto it = rows_.find(Key{id, key});
  if (it == rows_.end()) {
    char* copy = static_cast<char*>(arena_->allocate(key.size(), 1));
    if (!key.empty()) std::memcpy(copy, key.data(), key.size());
    it = rows_.emplace(Key{id, std::string_view(copy, key.size())}, Row{.cf = cf, .since = t}).first;
    if (t != 0) undo_.push_back({it->first, Row{}, false});
    return it->second;
  }
  Row& row = it->second;
  if (t != 0 && row.since < t) {
    // First write to the row since the save point: keep its state, and give it new bytes so
    // the kept ones are not overwritten in place.
    undo_.push_back({it->first, row, true});
    row.capacity = 0;
    row.since = t;
  }
  return row;
}

void StagedWrites::Put(rocksdb::ColumnFamilyHandle* cf, std::string_view key, std::string_view value) {
  Row& row = Touch(cf, key);
  if (value.size() > row.capacity) {
    row.capacity = static_cast<uint32_t>(value.size() + value.size() / 4);
    row.data = static_cast<char*>(arena_->allocate(row.capacity, 1));
  }
  if (!value.empty()) std::memcpy(const_cast<char*>(row.data), value.data(), value.size());
  row.size = static_cast<uint32_t>(value.size());
  row.live = true;
  ++row_ops_;
}

void StagedWrites::Delete(rocksdb::ColumnFamilyHandle* cf, std::string_view key) {
  Row& row = Touch(cf, key);
  row.size = 0;
  row.live = false;
  ++row_ops_;
}

void StagedWrites::SetSavePoint() {
  saves_.push_back({++marks_, undo_.size(), row_ops_});
  raw_.SetSavePoint();
}

void StagedWrites::RollbackToSavePoint() {
  if (saves_.empty()) return;
  const SavePoint sp = saves_.back();
  saves_.pop_back();
  while (undo_.size() > sp.undo) {
    const Undo& u = undo_.back();
    if (u.existed) {
      rows_.find(u.key)->second = u.prior;
    } else {
      rows_.erase(u.key);
    }
    undo_.pop_back();
  }
  row_ops_ = sp.row_ops;
  raw_.RollbackToSavePoint().PermitUncheckedError();
}

void StagedWrites::PopSavePoint() {
  if (saves_.empty()) return;
  saves_.pop_back();
  if (saves_.empty()) undo_.clear();  // nothing left to take back to
  raw_.PopSavePoint().PermitUncheckedError();
}

rocksdb::WriteBatch* StagedWrites::Seal() {
  ABSL_RAW_CHECK(saves_.empty(), "StagedWrites: sealed with a save point open");
  if (sealed_) return &raw_;
  sealed_ = true;
  // In key order: the memtable's skip list then inserts each row next to the one before
  // instead of searching from its top.
  std::vector<const decltype(rows_)::value_type*> ordered;
  ordered.reserve(rows_.size());
  for (const auto& row : rows_) ordered.push_back(&row);
  std::sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) {
    return a->first.cf != b->first.cf ? a->first.cf < b->first.cf : a->first.key < b->first.key;
  });
  for (const auto* entry : ordered) {
    const rocksdb::Slice key(entry->first.key.data(), entry->first.key.size());
    const Row& row = entry->second;
    if (row.live) {
      raw_.Put(row.cf, key, rocksdb::Slice(row.data, row.size)).PermitUncheckedError();
    } else {
      raw_.Delete(row.cf, key).PermitUncheckedError();
    }
  }
  return &raw_;
}

void StagedWrites::Clear() {
  if (raw_.GetDataSize() > kKeepBytes) {
    raw_ = rocksdb::WriteBatch();  // one large batch does not pin its buffer for good
  } else {
    raw_.Clear();
  }
  rows_.clear();
  arena_->release();
  undo_.clear();
  saves_.clear();
  marks_ = 0;
  row_ops_ = 0;
  sealed_ = false;
}

}  // namespace yilian::eventstore
