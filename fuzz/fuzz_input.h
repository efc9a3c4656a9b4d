#pragma once
// How the fuzz targets read their bytes, and how the seed writer builds inputs they accept.
//
// An input is a sequence of small fields, each read in turn:
//   Byte()    1 byte                    (0 once the input is used up)
//   U32()     4 bytes, little-endian    (missing bytes read as 0)
//   Chunk()   2-byte little-endian length n, then n bytes (fewer at the end of the input)
//   Rest()    whatever is left
// A protobuf message travels as a Chunk of its wire bytes. The layout is structure-agnostic on
// purpose (libprotobuf-mutator is not available): libFuzzer mutates the bytes, and the seed
// corpora (fuzz/corpus/, written by yilian-fuzz-seeds) start it from valid messages.
// Not thread-safe; borrows the bytes.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "google/protobuf/message.h"

namespace yilian::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size)
      : p_(reinterpret_cast<const char*>(data)), end_(reinterpret_cast<const char*>(data) + size) {}

  bool empty() const { return p_ == end_; }
  uint8_t Byte() { return empty() ? 0 : static_cast<uint8_t>(*p_++); }
  bool Bool() { return (Byte() & 1) != 0; }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(Byte()) << (8 * i);
    return v;
  }
  int64_t I64() { return static_cast<int64_t>(static_cast<uint64_t>(U32()) | static_cast<uint64_t>(U32()) << 32); }
  std::string_view Chunk() {
    size_t n = Byte();
    n |= static_cast<size_t>(Byte()) << 8;
    n = std::min(n, static_cast<size_t>(end_ - p_));
    std::string_view out(p_, n);
    p_ += n;
    return out;
  }
  std::string Text() { return std::string(Chunk()); }
  // The next chunk parsed into `m` (cleared first); false when it is not valid wire data.
  bool Parse(google::protobuf::Message& m) {
    const std::string_view c = Chunk();
    return m.ParseFromArray(c.data(), static_cast<int>(c.size()));
  }
  std::string_view Rest() {
    std::string_view out(p_, static_cast<size_t>(end_ - p_));
    p_ = end_;
    return out;
  }

 private:
  const char* p_;
  const char* end_;
};

// Builds inputs in FuzzInput's layout (seeds, regression inputs written by tests).
class FuzzInputWriter {
 public:
  FuzzInputWriter& Byte(uint8_t b) {
    out_.push_back(static_cast<char>(b));
    return *this;
  }
  FuzzInputWriter& U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) Byte(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  FuzzInputWriter& I64(int64_t v) {
    const uint64_t u = static_cast<uint64_t>(v);
    return U32(static_cast<uint32_t>(u)).U32(static_cast<uint32_t>(u >> 32));
  }
  FuzzInputWriter& Chunk(std::string_view bytes) {
    const size_t n = std::min<size_t>(bytes.size(), 0xffff);
    Byte(static_cast<uint8_t>(n)).Byte(static_cast<uint8_t>(n >> 8));
    out_.append(bytes.data(), n);
    return *this;
  }
  FuzzInputWriter& Message(const google::protobuf::Message& m) { return Chunk(m.SerializeAsString()); }
  FuzzInputWriter& Rest(std::string_view bytes) {
    out_.append(bytes.data(), bytes.size());
    return *this;
  }
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
};

}  // namespace yilian::fuzz
