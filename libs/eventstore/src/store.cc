#include "yilian/eventstore/store.h"

#include "absl/strings/str_cat.h"
#include "block_buffers.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "yilian/common/strings.h"
#include "yilian/eventstore/staged_writes.h"

namespace yilian::eventstore {
namespace {
constexpr const char* kFamilyNames[kFamilyCount] = {"journal", "streams",    "aggregates", "idempotency",
                                                    "meta",    "projection", "consumed"};
}

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat(common::Sv(what), ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  if (s.IsBusy() || s.IsTryAgain() || s.IsTimedOut()) return absl::UnavailableError(msg);
  if (s.IsIOError()) return absl::UnavailableError(msg);
  return absl::InternalError(msg);
}

std::string EncodeU64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

uint64_t DecodeU64(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  std::unique_ptr<Store> store(new Store());
  store->path_ = options.path;
  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  db_options.max_total_wal_size = 256 << 20;
  db_options.db_write_buffer_size = options.budget.memtable_bytes;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache =
      rocksdb::NewLRUCache(options.budget.block_cache_bytes, /*num_shard_bits=*/-1,
                           /*strict_capacity_limit=*/false, /*high_pri_pool_ratio=*/0.5, BlockBuffers::Shared());
  // Index and filter blocks live in the cache (counted in the budget instead of growing beside
  // it), partitioned into small blocks: a whole filter of a large file (several MB) would not
  // fit a cache shard and would be read from disk again on every lookup.
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.metadata_block_size = 4096;
  table.pin_top_level_index_and_filter = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  store->cf_options_.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  store->cf_options_.write_buffer_size = 32 << 20;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, store->cf_options_);
  for (int i = 0; i < kFamilyCount; ++i) families.emplace_back(kFamilyNames[i], store->FamilyOptions(Family(i)));
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(db_options, options.path, families, &handles, &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("opening store at ", options.path));
  store->db_.reset(raw);
  delete handles[0];  // default family: unused
  for (int i = 0; i < kFamilyCount; ++i) store->handles_[i] = handles[i + 1];
  return store;
}

rocksdb::ColumnFamilyOptions Store::FamilyOptions(Family f) const {
  rocksdb::ColumnFamilyOptions o = cf_options_;
  // Families read by key on the write path (an append's idempotency key and aggregate version,
  // a consumer's rows) mostly miss there: a new key. A bloom filter in front of each memtable
  // answers such a miss without searching the skip list (1% of the memtable's size, charged to
  // the memtable budget). Not the projection: a rebuild writes it in bulk, and rebuilt
  // slower with one (3.50-3.78 s against 3.28-3.42 s at 1M, if within this VM's spread), while
  // the audit's archiving showed no difference either way.
  if (f == Family::kIdempotency || f == Family::kAggregates || f == Family::kConsumed) {
    o.memtable_prefix_bloom_size_ratio = 0.01;
    o.memtable_whole_key_filtering = true;
  }
  return o;
}

Store::~Store() {
  if (!db_) return;
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  db_->Close();
}

absl::StatusOr<std::optional<std::string>> Store::Get(Family f, std::string_view key) const {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), cf(f), rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "reading store");
  return value;
}

namespace {

// The first key after every key starting with `prefix` ("" when there is none).
std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

}  // namespace

absl::StatusOr<int64_t> Store::Scan(Family f, std::string_view prefix, std::string_view start,
                                    absl::FunctionRef<bool(std::string_view, std::string_view)> fn) const {
  return ScanRange(f, start.empty() ? prefix : start, PrefixEnd(prefix), fn);
}

absl::StatusOr<int64_t> Store::ScanRange(Family f, std::string_view begin, std::string_view end,
                                         absl::FunctionRef<bool(std::string_view, std::string_view)> fn) const {
  // The upper bound lets RocksDB stop at `end` instead of stepping over every deleted key
  // beyond it (index rows are deleted often).
  const rocksdb::Slice bound(end.data(), end.size());
  rocksdb::ReadOptions options;
  if (!end.empty()) options.iterate_upper_bound = &bound;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, cf(f)));
  int64_t n = 0;
  for (it->Seek(rocksdb::Slice(begin.data(), begin.size())); it->Valid(); it->Next()) {
    std::string_view k(it->key().data(), it->key().size());
    ++n;
    if (!fn(k, std::string_view(it->value().data(), it->value().size()))) break;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scanning store");
  return n;
}

absl::Status Store::Reset(Family f) {
  int i = static_cast<int>(f);
  auto s = db_->DropColumnFamily(handles_[i]);
  if (!s.ok()) return FromRocks(s, "dropping column family");
  db_->DestroyColumnFamilyHandle(handles_[i]);
  handles_[i] = nullptr;
  s = db_->CreateColumnFamily(FamilyOptions(f), kFamilyNames[i], &handles_[i]);
  return FromRocks(s, "recreating column family");
}

absl::StatusOr<std::string> Store::Dump(Family f) const {
  std::string out;
  auto n = Scan(f, "", "", [&](std::string_view k, std::string_view v) {
    absl::StrAppend(&out, k.size(), ":", common::Sv(k), "=", v.size(), ":", common::Sv(v), "\n");
    return true;
  });
  if (!n.ok()) return n.status();
  return out;
}

absl::Status Store::Write(Family f, const std::vector<RowWrite>& rows, bool sync) {
  rocksdb::WriteBatch batch;
  for (const auto& r : rows) {
    auto s = r.value ? batch.Put(cf(f), r.key, *r.value) : batch.Delete(cf(f), r.key);
    if (!s.ok()) return FromRocks(s, "staging a write");
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return FromRocks(db_->Write(wo, &batch), "writing");
}

absl::Status Store::Put(Family f, std::string_view key, std::string_view value, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return FromRocks(
      db_->Put(wo, cf(f), rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size())),
      "writing");
}

absl::Status Store::Delete(Family f, std::string_view key) {
  return FromRocks(db_->Delete(rocksdb::WriteOptions(), cf(f), rocksdb::Slice(key.data(), key.size())), "deleting");
}

absl::Status Store::Write(StagedWrites& staged, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  rocksdb::WriteBatch* batch = staged.Seal();
  absl::Status s = batch->Count() == 0 ? absl::OkStatus() : FromRocks(db_->Write(wo, batch), "writing a batch");
  staged.Clear();
  return s;
}

absl::Status Store::Flush() { return FromRocks(db_->Flush(rocksdb::FlushOptions()), "flushing"); }

absl::StatusOr<uint64_t> Store::IntProperty(const std::string& name) const {
  uint64_t v = 0;
  if (!db_->GetAggregatedIntProperty(name, &v)) return absl::NotFoundError(absl::StrCat("no property ", name));
  return v;
}

}  // namespace yilian::eventstore
