#pragma once
// How a journal entry travels on Kafka, shared by the relay (writer) and consumers (reader).
//
//   topic      yilian.<source service>.events
//   partition  PartitionFor(aggregate id, partition count): Java-compatible murmur2, so
//              one aggregate stays in one partition and any client can compute it
//   key        aggregate id
//   value      the journal entry's envelope bytes, exactly as stored
//   headers    yilian-type      event type
//              yilian-source    source service
//              yilian-sequence  source journal sequence (decimal)
//              yilian-previous  the sequence of the previous entry the relay put in this
//                               partition (decimal; 0 for the first): a consumer whose
//                               watermark is below it has missed something and asks the
//                               source's catch-up feed
//              yilian-sha256    SHA-256 of the value (32 bytes), as in the journal
//              yilian-stand-in  present (value "1") on a STAND-IN: a message with an empty
//                               value the relay sends in place of an entry the broker refuses
//                               for good (too large); the other headers are the entry's, and
//                               a consumer reads the entry itself from the catch-up feed
//              yilian-key       the id of the source's key that signed the message
//              yilian-mac       HMAC-SHA256 (32 bytes) under that key over MacInput (bus_keys.h):
//                               source, key id, type, sequence, previous, stand-in,
//                               yilian-sha256 and the partition. A consumer applies nothing
//                               without a valid one

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace yilian::bus {

inline constexpr char kHeaderType[] = "yilian-type";
inline constexpr char kHeaderSource[] = "yilian-source";
inline constexpr char kHeaderSequence[] = "yilian-sequence";
inline constexpr char kHeaderPrevious[] = "yilian-previous";
inline constexpr char kHeaderHash[] = "yilian-sha256";
inline constexpr char kHeaderStandIn[] = "yilian-stand-in";
inline constexpr char kHeaderKey[] = "yilian-key";
inline constexpr char kHeaderMac[] = "yilian-mac";

int32_t PartitionFor(std::string_view key, int32_t partitions);

struct WireHeaders {
  std::string type;
  std::string source;
  int64_t sequence = 0;
  int64_t previous = 0;
  std::string hash;  // 32 raw bytes
  bool stand_in = false;
  std::string key_id;  // empty with `mac`: unsigned
  std::string mac;     // 32 raw bytes when signed
  // Not a header: the partition the message is produced to (the relay) or was read from (the
  // consumer). The MAC covers it, so a genuine message copied into another partition of its
  // topic does not verify there.
  int32_t partition = 0;
};

// A headers list for one entry; ownership passes to the produce call.
rd_kafka_headers_t* NewHeaders(const WireHeaders& h);
// INVALID_ARGUMENT naming the first missing or malformed header (`hdrs` may be null). The
// key and MAC headers may be absent (an unsigned message: BusKeys::Verify refuses it).
absl::StatusOr<WireHeaders> ReadHeaders(const rd_kafka_headers_t* hdrs);
// The headers of a consumed message, with its partition.
absl::StatusOr<WireHeaders> ReadHeaders(const rd_kafka_message_t* m);

}  // namespace yilian::bus
