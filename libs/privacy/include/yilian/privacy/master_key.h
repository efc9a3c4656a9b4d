#pragma once
// The master key that wraps every patient data key: 32 bytes, kept outside the data
// directories (configuration `privacy.master_key_file`: 64 hex digits). Rotating it means
// re-wrapping the vault (not built yet; see README).

#include <string>

#include "absl/status/statusor.h"

namespace yilian::privacy {

// Reads 64 hex digits (surrounding whitespace ignored). FAILED_PRECONDITION names the file
// when it is missing, unreadable or malformed (never echoing its content).
absl::StatusOr<std::string> LoadMasterKey(const std::string& file);
// 64 hex digits of a new random key, for scripts and tests.
std::string NewMasterKeyHex();
// One random key per process: for tests that restart a service inside one process.
const std::string& ProcessTestKey();

}  // namespace yilian::privacy
