#pragma once
// SHA-256 (OpenSSL) for hash chains, token hashes and request fingerprints. Thread-safe.

#include <string>
#include <string_view>

namespace yilian::common {

// The 32-byte binary digest.
std::string Sha256(std::string_view data);
// Lowercase hex of the digest (64 characters).
std::string Sha256Hex(std::string_view data);

}  // namespace yilian::common
