#pragma once
// A Bloom filter over keys: "certainly never added" or "maybe added". A rebuild uses it to know,
// without reading the store, that a row was never written since the projection was emptied.
// Sized once; when it holds more keys than planned it answers "maybe" more often, never wrongly.
// (RocksDB's own filters are per SST file and not public API; this is the 30 lines it needs.)

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/hash/hash.h"

namespace yilian::eventstore {

class KeyFilter {
 public:
  // About 10 bits per expected key (about 1% false "maybe"), between 2^16 and 2^28 bits. All
  // probes of a key fall in one 64-byte block, so a lookup costs one cache miss, not five.
  explicit KeyFilter(uint64_t expected_keys) {
    uint64_t bits = uint64_t{1} << 16;
    while (bits < expected_keys * 10 && bits < (uint64_t{1} << 28)) bits <<= 1;
    words_.assign(bits / 64, 0);
    blocks_mask_ = bits / kBlockBits - 1;
  }
  // The probes come from a 64-bit hash of the key: this one, or one a caller already has (a
  // hash map's, so one hashing serves both lookups).
  static uint64_t Hash(std::string_view key) { return absl::Hash<std::string_view>{}(key); }
  // Starts loading the key's block while the caller does other work: the filter is megabytes,
  // so a probe is a cache miss.
  void Prefetch(uint64_t h) const { __builtin_prefetch(&words_[Block(h)]); }
  void Add(uint64_t h) {
    uint64_t* block = &words_[Block(h)];
    for (uint64_t g = Probes(h), i = 0; i < kProbes; ++i, g >>= 9) block[(g & 511) >> 6] |= uint64_t{1} << (g & 63);
  }
  bool MayContain(uint64_t h) const {
    const uint64_t* block = &words_[Block(h)];
    for (uint64_t g = Probes(h), i = 0; i < kProbes; ++i, g >>= 9)
      if ((block[(g & 511) >> 6] & (uint64_t{1} << (g & 63))) == 0) return false;
    return true;
  }
  void Add(std::string_view key) { Add(Hash(key)); }
  bool MayContain(std::string_view key) const { return MayContain(Hash(key)); }

 private:
  static constexpr uint64_t kProbes = 6;  // 6 x 9 bits of the second hash
  static constexpr uint64_t kBlockBits = 512;
  // The block from the hash's high half; the probes from a multiplicative remix of it.
  size_t Block(uint64_t h) const { return ((h >> 32) & blocks_mask_) * (kBlockBits / 64); }
  static uint64_t Probes(uint64_t h) { return (h * 0x9e3779b97f4a7c15ULL) >> 10; }
  std::vector<uint64_t> words_;
  uint64_t blocks_mask_ = 0;
};

}  // namespace yilian::eventstore
