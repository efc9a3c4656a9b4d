#include "yilian/privacy/key_vault.h"

#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"
#include "yilian/privacy/aes_gcm.h"

namespace yilian::privacy {
namespace {

constexpr size_t kCacheLimit = 100000;  // unwrapped keys kept; the cache is dropped past it
const char kCheckKey[] = "m/check";     // a value sealed under the master key: a wrong one fails at Open

absl::Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsIOError() || s.IsBusy() || s.IsTryAgain())
    return absl::UnavailableError(absl::StrCat(what, ": ", s.ToString()));
  return absl::InternalError(absl::StrCat(what, ": ", s.ToString()));
}

std::string Wrap(const Sealed& s) { return s.nonce + s.ciphertext; }
Sealed Unwrap(const std::string& v) {
  if (v.size() < kNonceBytes) return {};
  return {v.substr(0, kNonceBytes), v.substr(kNonceBytes)};
}

rocksdb::WriteOptions Synced() {
  rocksdb::WriteOptions w;
  w.sync = true;
  return w;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KeyVault>> KeyVault::Open(const std::string& path, std::string master_key) {
  if (master_key.size() != kKeyBytes)
    return absl::InvalidArgumentError(absl::StrCat("the master key has ", kKeyBytes, " bytes"));
  std::unique_ptr<KeyVault> v(new KeyVault());
  v->path_ = path;
  v->master_ = std::move(master_key);
  rocksdb::Options options;
  options.create_if_missing = true;
  options.write_buffer_size = 4 << 20;
  options.keep_log_file_num = 2;
  rocksdb::DB* raw = nullptr;
  if (auto s = rocksdb::DB::Open(options, path, &raw); !s.ok()) return FromRocks(s, "opening the key vault at " + path);
  v->db_.reset(raw);
  std::string check;
  auto s = v->db_->Get(rocksdb::ReadOptions(), kCheckKey, &check);
  if (s.IsNotFound()) {
    auto sealed = Seal(v->master_, "yilian key vault", kCheckKey);
    if (!sealed.ok()) return sealed.status();
    if (auto p = v->db_->Put(Synced(), kCheckKey, Wrap(*sealed)); !p.ok()) return FromRocks(p, "writing the key vault");
  } else if (!s.ok()) {
    return FromRocks(s, "reading the key vault");
  } else if (!privacy::Open(v->master_, Unwrap(check), kCheckKey).ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the key vault at ", path, " was written under another master key (privacy.master_key_file)"));
  }
  return v;
}

KeyVault::~KeyVault() {
  if (db_) db_->Close();
}

absl::StatusOr<std::optional<std::string>> KeyVault::Load(const std::string& patient) const {
  if (auto it = cache_.find(patient); it != cache_.end()) return it->second;
  std::string wrapped;
  auto s = db_->Get(rocksdb::ReadOptions(), "k/" + patient, &wrapped);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "reading the key vault");
  auto key = privacy::Open(master_, Unwrap(wrapped), "dek:" + patient);
  if (!key.ok()) return absl::DataLossError("a patient key in the vault does not unwrap under the master key");
  if (cache_.size() >= kCacheLimit) cache_.clear();
  cache_.emplace(patient, *key);
  return *key;
}

absl::StatusOr<std::string> KeyVault::KeyFor(const std::string& patient) {
  if (patient.empty()) return absl::InvalidArgumentError("a patient key needs a patient reference");
  std::lock_guard lock(mu_);
  auto found = Load(patient);
  if (!found.ok()) return found.status();
  if (*found) return **found;
  std::string marker;
  auto s = db_->Get(rocksdb::ReadOptions(), "x/" + patient, &marker);
  if (s.ok())
    return absl::FailedPreconditionError("this patient was erased: no identifying data is kept for them again");
  if (!s.IsNotFound()) return FromRocks(s, "reading the key vault");
  std::string key = RandomBytes(kKeyBytes);
  auto wrapped = Seal(master_, key, "dek:" + patient);
  if (!wrapped.ok()) return wrapped.status();
  if (auto p = db_->Put(Synced(), "k/" + patient, Wrap(*wrapped)); !p.ok())
    return FromRocks(p, "writing the key vault");
  cache_.emplace(patient, key);
  return key;
}

absl::StatusOr<std::optional<std::string>> KeyVault::Find(const std::string& patient) const {
  std::lock_guard lock(mu_);
  return Load(patient);
}

absl::StatusOr<bool> KeyVault::Erased(const std::string& patient) const {
  std::string marker;
  auto s = db_->Get(rocksdb::ReadOptions(), "x/" + patient, &marker);
  if (s.IsNotFound()) return false;
  if (!s.ok()) return FromRocks(s, "reading the key vault");
  return true;
}

absl::Status KeyVault::Erase(const std::string& patient, int64_t at_ms) {
  if (patient.empty()) return absl::InvalidArgumentError("erasure needs a patient reference");
  std::lock_guard lock(mu_);
  cache_.erase(patient);
  rocksdb::WriteBatch batch;
  batch.Delete("k/" + patient);
  batch.Put("x/" + patient, std::to_string(at_ms));
  if (auto s = db_->Write(Synced(), &batch); !s.ok()) return FromRocks(s, "erasing a patient key");
  // Push the deletion through every live file: the memtable to an SST (the old WAL goes),
  // then one compaction, which drops the key's older versions.
  if (auto s = db_->Flush(rocksdb::FlushOptions()); !s.ok()) return FromRocks(s, "flushing the key vault");
  rocksdb::CompactRangeOptions all;
  all.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  if (auto s = db_->CompactRange(all, nullptr, nullptr); !s.ok()) return FromRocks(s, "compacting the key vault");
  return absl::OkStatus();
}

}  // namespace yilian::privacy
