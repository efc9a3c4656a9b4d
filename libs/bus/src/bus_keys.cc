#include "yilian/bus/bus_keys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "yilian/common/strings.h"

using yilian::common::Sv;

namespace yilian::bus {

namespace {

bool IsName(std::string_view s, size_t max, bool dots_and_caps) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                    (dots_and_caps && ((c >= 'A' && c <= 'Z') || c == '.'));
    if (!ok) return false;
  }
  return true;
}

void PutU64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutText(std::string& out, std::string_view s) {
  PutU64(out, s.size());
  out.append(s);
}

// Wire text quoted for an error or a log: escaped, at most 40 bytes of it.
std::string Shown(std::string_view s) {
  constexpr size_t kShown = 40;
  return absl::StrCat(absl::CHexEscape(Sv(s.substr(0, kShown))), s.size() > kShown ? "..." : "");
}

std::string Mac(std::string_view secret, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &n);
  return std::string(reinterpret_cast<const char*>(out), n);
}

}  // namespace

std::string MacInput(const WireHeaders& h) {
  std::string in = "yilian-bus-mac-v1";
  in.reserve(in.size() + 8 * 6 + h.source.size() + h.key_id.size() + h.type.size() + h.hash.size() + 1);
  PutText(in, h.source);
  PutText(in, h.key_id);
  PutText(in, h.type);
  PutU64(in, static_cast<uint64_t>(h.sequence));
  PutU64(in, static_cast<uint64_t>(h.previous));
  in.push_back(h.stand_in ? '\1' : '\0');
  PutText(in, h.hash);
  PutU64(in, static_cast<uint32_t>(h.partition));
  return in;
}

absl::Status BusKeys::Add(std::string_view service, std::string_view key_id, std::string_view key) {
  if (!IsName(service, 32, false))
    return absl::InvalidArgumentError(
        absl::StrCat("service \"", Shown(service), "\" is not a service name (a-z, 0-9, -, _; 1-32)"));
  if (!IsName(key_id, kMaxKeyIdBytes, true))
    return absl::InvalidArgumentError(
        absl::StrCat("key id \"", Shown(key_id), "\" must be 1-32 of A-Z, a-z, 0-9, '.', '-', '_'"));
  if (key.size() != kKeyBytes) return absl::InvalidArgumentError(absl::StrCat("a bus key has ", kKeyBytes, " bytes"));
  auto& ring = keys_[std::string(service)];
  for (const Key& k : ring)
    if (k.id == key_id)
      return absl::InvalidArgumentError(absl::StrCat("key id \"", Sv(key_id), "\" is listed twice for ", Sv(service)));
  ring.push_back({std::string(key_id), std::string(key)});
  return absl::OkStatus();
}

absl::StatusOr<BusKeys> BusKeys::Parse(std::string_view text) {
  BusKeys keys;
  int n = 0;
  for (absl::string_view line : absl::StrSplit(Sv(text), '\n')) {
    ++n;
    if (auto hash = line.find('#'); hash != absl::string_view::npos) line = line.substr(0, hash);
    std::vector<absl::string_view> f = absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (f.empty()) continue;
    if (f.size() != 3)
      return absl::InvalidArgumentError(absl::StrCat("line ", n, ": want \"<service> <key-id> <64 hex digits>\""));
    bool hex = f[2].size() == 2 * kKeyBytes;
    for (char c : f[2]) hex = hex && absl::ascii_isxdigit(static_cast<unsigned char>(c));
    if (!hex)
      return absl::InvalidArgumentError(absl::StrCat("line ", n, ": the key must be ", 2 * kKeyBytes, " hex digits"));
    if (auto s = keys.Add(common::StdSv(f[0]), common::StdSv(f[1]), absl::HexStringToBytes(f[2])); !s.ok())
      return absl::InvalidArgumentError(absl::StrCat("line ", n, ": ", s.message()));
  }
  return keys;
}

absl::StatusOr<BusKeys> BusKeys::Load(const std::string& file) {
  std::ifstream in(file);
  if (!in)
    return absl::FailedPreconditionError(absl::StrCat("bus.keys_file \"", file,
                                                      "\" cannot be read; it holds the keys that sign and verify "
                                                      "Kafka messages (scripts/run.sh makes one)"));
  std::stringstream text;
  text << in.rdbuf();
  auto keys = Parse(text.str());
  if (!keys.ok())
    return absl::InvalidArgumentError(absl::StrCat("bus.keys_file \"", file, "\" ", keys.status().message()));
  return keys;
}

bool BusKeys::HasKeyFor(std::string_view service) const {
  auto it = keys_.find(service);
  return it != keys_.end() && !it->second.empty();
}

absl::Status BusKeys::Sign(WireHeaders& h) const {
  auto it = keys_.find(h.source);
  if (it == keys_.end() || it->second.empty())
    return absl::FailedPreconditionError(absl::StrCat("no bus key for ", h.source, " in bus.keys_file"));
  const Key& k = it->second.back();
  h.key_id = k.id;
  h.mac = Mac(k.secret, MacInput(h));
  return absl::OkStatus();
}

absl::Status BusKeys::Verify(std::string_view source, const WireHeaders& h) const {
  if (h.mac.empty()) return absl::PermissionDeniedError("unsigned message (no yilian-mac header)");
  if (h.source != source)
    return absl::PermissionDeniedError(absl::StrCat("a message of ", Shown(h.source), " on ", Sv(source), "'s topic"));
  auto it = keys_.find(source);
  if (it != keys_.end())
    for (const Key& k : it->second)
      if (k.id == h.key_id) {
        const std::string want = Mac(k.secret, MacInput(h));
        if (h.mac.size() == want.size() && CRYPTO_memcmp(h.mac.data(), want.data(), want.size()) == 0)
          return absl::OkStatus();
        return absl::PermissionDeniedError(absl::StrCat("the MAC does not verify under ", Sv(source), "'s key ", k.id));
      }
  return absl::PermissionDeniedError(
      absl::StrCat("signed with key \"", Shown(h.key_id), "\", which is not one of ", Sv(source), "'s keys"));
}

}  // namespace yilian::bus
