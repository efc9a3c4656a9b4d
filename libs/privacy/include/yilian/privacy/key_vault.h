#pragma once
// One service's patient data keys: a random AES-256 key per patient, stored wrapped by the
// master key (AES-256-GCM, additional data "dek:<patient>") in a RocksDB of its own — never
// in the journal, the projections or the bus, so that destroying it erases the person from
// everything that was sealed with it (crypto-shredding).
//
//   k/<patient token>   the wrapped data key
//   x/<patient token>   the erasure marker (unix ms): no key is ever made again for it
//
// Erase() deletes the key in a synced write, flushes the memtable and compacts the whole
// vault, so no live file (WAL, SST) holds the wrapped key afterwards; copies outside the
// directory (backups, snapshots) are the operator's to destroy. A created key is synced
// before KeyFor returns, so an acknowledged event never refers to a key a crash could lose.
// Unwrapped keys are cached in memory; Erase drops them. Thread-safe.

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace rocksdb {
class DB;
}

namespace yilian::privacy {

class KeyVault {
 public:
  // Opens (creating) the vault at `path`; `master_key` has 32 bytes. A vault written under
  // another master key fails here (FAILED_PRECONDITION), not at the first read.
  static absl::StatusOr<std::unique_ptr<KeyVault>> Open(const std::string& path, std::string master_key);
  ~KeyVault();

  // The patient's data key, made and stored durably on first use. FAILED_PRECONDITION when
  // the patient was erased; INVALID_ARGUMENT for an empty token.
  absl::StatusOr<std::string> KeyFor(const std::string& patient);
  // The key when there is one (nullopt: never made, or erased).
  absl::StatusOr<std::optional<std::string>> Find(const std::string& patient) const;
  absl::StatusOr<bool> Erased(const std::string& patient) const;
  // Destroys the patient's key and remembers the erasure. Idempotent.
  absl::Status Erase(const std::string& patient, int64_t at_ms);

  const std::string& path() const { return path_; }

 private:
  KeyVault() = default;
  absl::StatusOr<std::optional<std::string>> Load(const std::string& patient) const;  // mu_ held

  std::string path_;
  std::string master_;
  std::unique_ptr<rocksdb::DB> db_;
  mutable std::mutex mu_;
  mutable absl::flat_hash_map<std::string, std::string> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace yilian::privacy
