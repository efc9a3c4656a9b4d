#include "yilian/privacy/master_key.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "yilian/privacy/aes_gcm.h"

namespace yilian::privacy {

absl::StatusOr<std::string> LoadMasterKey(const std::string& file) {
  std::ifstream in(file);
  if (!in)
    return absl::FailedPreconditionError(absl::StrCat(
        "privacy.master_key_file \"", file, "\" cannot be read; write 64 hex digits there (scripts/run.sh makes one)"));
  std::stringstream text;
  text << in.rdbuf();
  std::string hex(absl::StripAsciiWhitespace(text.str()));
  bool all_hex = hex.size() == 2 * kKeyBytes;
  for (char c : hex) all_hex = all_hex && absl::ascii_isxdigit(static_cast<unsigned char>(c));
  if (!all_hex)
    return absl::FailedPreconditionError(
        absl::StrCat("privacy.master_key_file \"", file, "\" must hold exactly ", 2 * kKeyBytes, " hex digits"));
  return absl::HexStringToBytes(hex);
}

std::string NewMasterKeyHex() { return absl::BytesToHexString(RandomBytes(kKeyBytes)); }

const std::string& ProcessTestKey() {
  static const std::string key = RandomBytes(kKeyBytes);
  return key;
}

}  // namespace yilian::privacy
