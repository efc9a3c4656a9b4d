#pragma once
// AES-256-GCM (OpenSSL EVP): authenticated encryption of small values under a 32-byte key,
// with a fresh random 96-bit nonce per seal. The additional data binds a ciphertext to what
// it is for (a patient reference), so it does not open anywhere else.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace yilian::privacy {

inline constexpr size_t kKeyBytes = 32;
inline constexpr size_t kNonceBytes = 12;
inline constexpr size_t kTagBytes = 16;

struct Sealed {
  std::string nonce;       // kNonceBytes
  std::string ciphertext;  // the plaintext's length + kTagBytes
};

// `count` bytes from OpenSSL's CSPRNG.
std::string RandomBytes(size_t count);

// INVALID_ARGUMENT for a key that is not kKeyBytes long.
absl::StatusOr<Sealed> Seal(std::string_view key, std::string_view plaintext, std::string_view aad);
// DATA_LOSS when the ciphertext, nonce, tag or additional data do not match the key.
absl::StatusOr<std::string> Open(std::string_view key, const Sealed& sealed, std::string_view aad);

}  // namespace yilian::privacy
