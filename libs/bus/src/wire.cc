#include "yilian/bus/wire.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace yilian::bus {

int32_t PartitionFor(std::string_view key, int32_t partitions) {
  return rd_kafka_msg_partitioner_murmur2(nullptr, key.data(), key.size(), partitions, nullptr, nullptr);
}

rd_kafka_headers_t* NewHeaders(const WireHeaders& h) {
  rd_kafka_headers_t* hdrs = rd_kafka_headers_new(8);
  const std::string seq = absl::StrCat(h.sequence), prev = absl::StrCat(h.previous);
  rd_kafka_header_add(hdrs, kHeaderType, -1, h.type.data(), h.type.size());
  rd_kafka_header_add(hdrs, kHeaderSource, -1, h.source.data(), h.source.size());
  rd_kafka_header_add(hdrs, kHeaderSequence, -1, seq.data(), seq.size());
  rd_kafka_header_add(hdrs, kHeaderPrevious, -1, prev.data(), prev.size());
  rd_kafka_header_add(hdrs, kHeaderHash, -1, h.hash.data(), h.hash.size());
  if (h.stand_in) rd_kafka_header_add(hdrs, kHeaderStandIn, -1, "1", 1);
  if (!h.mac.empty()) {
    rd_kafka_header_add(hdrs, kHeaderKey, -1, h.key_id.data(), h.key_id.size());
    rd_kafka_header_add(hdrs, kHeaderMac, -1, h.mac.data(), h.mac.size());
  }
  return hdrs;
}

namespace {

absl::StatusOr<std::string_view> Header(const rd_kafka_headers_t* hdrs, const char* name) {
  const void* v = nullptr;
  size_t n = 0;
  if (hdrs == nullptr || rd_kafka_header_get_last(hdrs, name, &v, &n) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return absl::InvalidArgumentError(absl::StrCat("message has no ", name, " header"));
  return std::string_view(static_cast<const char*>(v), v ? n : 0);
}

absl::StatusOr<int64_t> NumberHeader(const rd_kafka_headers_t* hdrs, const char* name) {
  auto v = Header(hdrs, name);
  if (!v.ok()) return v.status();
  int64_t out = 0;
  if (!absl::SimpleAtoi(absl::string_view(v->data(), v->size()), &out) || out < 0)
    return absl::InvalidArgumentError(absl::StrCat("header ", name, " is not a sequence number"));
  return out;
}

}  // namespace

absl::StatusOr<WireHeaders> ReadHeaders(const rd_kafka_message_t* m) {
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) hdrs = nullptr;
  auto h = ReadHeaders(hdrs);
  if (h.ok()) h->partition = m->partition;
  return h;
}

absl::StatusOr<WireHeaders> ReadHeaders(const rd_kafka_headers_t* hdrs) {
  WireHeaders h;
  auto type = Header(hdrs, kHeaderType);
  if (!type.ok()) return type.status();
  auto source = Header(hdrs, kHeaderSource);
  if (!source.ok()) return source.status();
  auto hash = Header(hdrs, kHeaderHash);
  if (!hash.ok()) return hash.status();
  if (hash->size() != 32) return absl::InvalidArgumentError("header yilian-sha256 is not 32 bytes");
  auto seq = NumberHeader(hdrs, kHeaderSequence);
  if (!seq.ok()) return seq.status();
  auto prev = NumberHeader(hdrs, kHeaderPrevious);
  if (!prev.ok()) return prev.status();
  if (*seq == 0 || *prev >= *seq)
    return absl::InvalidArgumentError("headers yilian-sequence/previous are inconsistent");
  h.type = std::string(*type);
  h.source = std::string(*source);
  h.hash = std::string(*hash);
  h.sequence = *seq;
  h.previous = *prev;
  h.stand_in = Header(hdrs, kHeaderStandIn).ok();
  if (auto mac = Header(hdrs, kHeaderMac); mac.ok()) {
    auto key = Header(hdrs, kHeaderKey);
    if (!key.ok()) return key.status();
    if (mac->size() != 32) return absl::InvalidArgumentError("header yilian-mac is not 32 bytes");
    if (key->empty() || key->size() > 32) return absl::InvalidArgumentError("header yilian-key is not a key id");
    h.key_id = std::string(*key);
    h.mac = std::string(*mac);
  }
  return h;
}

}  // namespace yilian::bus
