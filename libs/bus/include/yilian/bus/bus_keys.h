#pragma once
// The keys that authenticate the bus: every message a relay publishes carries an HMAC-SHA256
// over what a consumer relies on (source, sequence, previous, type, stand-in, the value's
// SHA-256, the partition), under a key of its source service; a consumer applies nothing it cannot verify
// (applier.h). Anyone able to write to a topic without the source's key can forge nothing.
//
// Keys file (configuration `bus.keys_file`): one key per line,
//   <service> <key-id> <64 hex digits>        # e.g. "referral 2026-12 9f86d0…"
// '#' starts a comment. A service signs with the LAST key listed for its own name and verifies
// a message with the key its `yilian-key` header names among its source's keys. Rotation:
// add the new key to the files of the service and of every service following it, restart the
// followers, then the service; drop the old line once nothing signed with it is still unread.
//
// Immutable after loading; thread-safe.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "yilian/bus/wire.h"

namespace yilian::bus {

class BusKeys {
 public:
  static constexpr size_t kKeyBytes = 32;
  static constexpr size_t kMaxKeyIdBytes = 32;

  // INVALID_ARGUMENT naming the line and what is wrong with it.
  static absl::StatusOr<BusKeys> Parse(std::string_view text);
  // FAILED_PRECONDITION when the file cannot be read; INVALID_ARGUMENT as Parse.
  static absl::StatusOr<BusKeys> Load(const std::string& file);

  // Adds a key (32 bytes); the last added for a service is the one it signs with.
  // INVALID_ARGUMENT on a bad service name, key id or key length, or a repeated key id.
  absl::Status Add(std::string_view service, std::string_view key_id, std::string_view key);

  bool empty() const { return keys_.empty(); }
  // Whether `service` has a key (to sign with, or to verify its messages).
  bool HasKeyFor(std::string_view service) const;
  // Sets `h.key_id` and `h.mac` for a message of `h.source`. FAILED_PRECONDITION when the
  // source has no key.
  absl::Status Sign(WireHeaders& h) const;
  // OK when `h` carries a MAC under a key of `source` (the topic's owner) that matches it, and
  // `h.source` is `source`. PERMISSION_DENIED saying why otherwise (unsigned, unknown key,
  // wrong source, MAC mismatch).
  absl::Status Verify(std::string_view source, const WireHeaders& h) const;

 private:
  struct Key {
    std::string id;
    std::string secret;  // kKeyBytes
  };
  std::map<std::string, std::vector<Key>, std::less<>> keys_;  // service -> keys, oldest first
};

// The bytes a message's MAC covers (exposed for tests and the fuzz target).
std::string MacInput(const WireHeaders& h);

}  // namespace yilian::bus
