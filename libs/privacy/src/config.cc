#include "yilian/privacy/config.h"

#include "yilian/privacy/master_key.h"

namespace yilian::privacy {

std::vector<common::ConfigKey> PrivacyConfigKeys() {
  return {
      {.name = "privacy.master_key_file",
       .default_value = ".yilian/master.key",
       .help = "the master key wrapping every patient data key: 64 hex digits (keep it out of the data directories)"},
      {.name = "privacy.keys_dir",
       .default_value = "",
       .help = "the patient data keys (RocksDB); empty: <data.dir>.keys"},
  };
}

std::string DefaultKeysDir(const std::string& data_dir) {
  std::string d = data_dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  return d + ".keys";
}

absl::StatusOr<VaultSettings> VaultSettingsFrom(const common::Config& config) {
  auto master = LoadMasterKey(config.GetString("privacy.master_key_file"));
  if (!master.ok()) return master.status();
  std::string dir = config.GetString("privacy.keys_dir");
  if (dir.empty()) dir = DefaultKeysDir(config.GetString("data.dir"));
  return VaultSettings{std::move(dir), std::move(*master)};
}

absl::StatusOr<std::unique_ptr<KeyVault>> OpenVault(const common::Config& config) {
  auto settings = VaultSettingsFrom(config);
  if (!settings.ok()) return settings.status();
  return KeyVault::Open(settings->keys_dir, std::move(settings->master_key));
}

absl::StatusOr<std::unique_ptr<KeyVault>> OpenVault(const std::string& keys_dir, const std::string& data_dir,
                                                    const std::string& master_key) {
  return KeyVault::Open(keys_dir.empty() ? DefaultKeysDir(data_dir) : keys_dir,
                        master_key.empty() ? ProcessTestKey() : master_key);
}

}  // namespace yilian::privacy
