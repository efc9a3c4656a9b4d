#include "yilian/common/sha256.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"

namespace yilian::common {

std::string Sha256(std::string_view data) {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string Sha256Hex(std::string_view data) { return absl::BytesToHexString(Sha256(data)); }

}  // namespace yilian::common
