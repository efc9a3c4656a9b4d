#pragma once
// The configuration keys of a service that keeps patient data keys, and the vault they open.

#include <memory>
#include <vector>

#include "yilian/common/config.h"
#include "yilian/privacy/key_vault.h"

namespace yilian::privacy {

// privacy.master_key_file (default .yilian/master.key), privacy.keys_dir (default: beside
// the data directory, "<data.dir>.keys").
std::vector<common::ConfigKey> PrivacyConfigKeys();
// Where the vault lives when privacy.keys_dir is empty.
std::string DefaultKeysDir(const std::string& data_dir);
struct VaultSettings {
  std::string keys_dir;
  std::string master_key;  // 32 bytes
};
// FAILED_PRECONDITION when the master key file is missing or malformed.
absl::StatusOr<VaultSettings> VaultSettingsFrom(const common::Config& config);
absl::StatusOr<std::unique_ptr<KeyVault>> OpenVault(const common::Config& config);
// For a service stack: "" keys_dir = DefaultKeysDir(data_dir); "" master_key = ProcessTestKey()
// (tests; a service's main always passes the configured key).
absl::StatusOr<std::unique_ptr<KeyVault>> OpenVault(const std::string& keys_dir, const std::string& data_dir,
                                                    const std::string& master_key);

}  // namespace yilian::privacy
