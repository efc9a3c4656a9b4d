#include "yilian/privacy/aes_gcm.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace yilian::privacy {
namespace {

using Ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* U(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

absl::Status CheckKey(std::string_view key) {
  if (key.size() != kKeyBytes)
    return absl::InvalidArgumentError(absl::StrCat("an AES-256 key has ", kKeyBytes, " bytes, not ", key.size()));
  return absl::OkStatus();
}

}  // namespace

std::string RandomBytes(size_t count) {
  std::string out(count, '\0');
  if (RAND_bytes(U(out), static_cast<int>(count)) != 1) std::abort();  // no entropy: never seal with a weak nonce
  return out;
}

absl::StatusOr<Sealed> Seal(std::string_view key, std::string_view plaintext, std::string_view aad) {
  if (auto s = CheckKey(key); !s.ok()) return s;
  Sealed out{RandomBytes(kNonceBytes), std::string(plaintext.size() + kTagBytes, '\0')};
  Ctx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0, total = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(key), U(out.nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), U(out.ciphertext), &len, U(plaintext), static_cast<int>(plaintext.size())) != 1)
    return absl::InternalError("AES-256-GCM encryption failed");
  total = len;
  if (EVP_EncryptFinal_ex(ctx.get(), U(out.ciphertext) + total, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, U(out.ciphertext) + plaintext.size()) != 1)
    return absl::InternalError("AES-256-GCM encryption failed");
  return out;
}

absl::StatusOr<std::string> Open(std::string_view key, const Sealed& sealed, std::string_view aad) {
  if (auto s = CheckKey(key); !s.ok()) return s;
  if (sealed.nonce.size() != kNonceBytes || sealed.ciphertext.size() < kTagBytes)
    return absl::DataLossError("a sealed value has a bad nonce or is too short");
  const size_t n = sealed.ciphertext.size() - kTagBytes;
  std::string plain(n, '\0');
  std::string tag = sealed.ciphertext.substr(n);
  Ctx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(key), U(sealed.nonce)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), U(plain), &len, U(sealed.ciphertext), static_cast<int>(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, U(tag)) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), U(plain) + len, &len) != 1)
    return absl::DataLossError("a sealed value does not open under this key (altered, or another key or patient)");
  return plain;
}

}  // namespace yilian::privacy
