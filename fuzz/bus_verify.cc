// (a) Hostile wire data, past the parse: Kafka messages through the bus consumer's Applier
// (the real Stage, over the scratch store), signed with the source's key, with another
// secret, with raw MAC bytes from the input, or not at all.
#include "absl/strings/str_cat.h"
#include "support.h"
#include "targets.h"
#include "yilian/bus/applier.h"
#include "yilian/bus/bus_keys.h"
#include "yilian/common/sha256.h"

namespace yilian::fuzz {

namespace {

// The keys the consumer holds (registry's real key) and a stranger's (same key id, other secret).
const bus::BusKeys& Keys() {
  static const bus::BusKeys* keys = new bus::BusKeys(*bus::BusKeys::Parse("registry k1 " + std::string(64, '1')));
  return *keys;
}
const bus::BusKeys& Stranger() {
  static const bus::BusKeys* keys = new bus::BusKeys(*bus::BusKeys::Parse("registry k1 " + std::string(64, '2')));
  return *keys;
}

class CountingProjector : public eventstore::Projector {
 public:
  absl::Status Apply(const events::v1::Envelope&, eventstore::ProjectionBatch&) override { return absl::OkStatus(); }
};

// A feed that cannot be reached: a fill leaves the partition where it was.
class NoFeed : public bus::EventSource {
 public:
  absl::Status ReadJournal(const std::string&, int64_t, int64_t, bus::EntryFn) override {
    return absl::UnavailableError("no feed");
  }
  absl::Status ReadAggregate(const std::string&, const std::string&, const std::string&, int64_t, int64_t,
                             bus::EntryFn) override {
    return absl::UnavailableError("no feed");
  }
};

}  // namespace

// Layout: the partition's watermark (u32), then up to 8 messages, each:
//   flags (bits 0-1: 0 unsigned, 1 the registry's key, 2 a stranger's key, 3 the key id and
//   MAC from the next two chunks; bit 2: a stand-in; bit 3: a correct yilian-sha256, else the
//   next chunk), sequence (i64), previous (i64), type chunk, [key id chunk, MAC chunk],
//   [hash chunk], value chunk.
// Invariants: a message not signed with the registry's key never moves the watermark, applies
// nothing and is counted unverified; the watermark never goes back.
int FuzzBusVerify(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  CountingProjector projector;
  NoFeed feed;
  bus::Applier applier(&ScratchStore(), {.group_id = "fuzz", .projector = &projector, .feed = &feed, .keys = &Keys()});
  bus::PartitionState part;
  part.topic = "yilian.registry.events";
  part.source = "registry";
  part.pos.set_watermark(in.U32());
  for (int n = 0; n < 8 && !in.empty(); ++n) {
    const uint8_t flags = in.Byte();
    bus::WireHeaders h;
    h.source = "registry";
    h.sequence = in.I64();
    h.previous = in.I64();
    h.type = in.Text();
    h.stand_in = (flags & 4) != 0;
    const int mode = flags & 3;
    std::string raw_key, raw_mac;
    if (mode == 3) {
      raw_key = in.Text();
      raw_mac = in.Text();
    }
    const std::string hash = (flags & 8) ? std::string() : in.Text();
    const std::string value(in.Chunk());
    h.hash = (flags & 8) ? common::Sha256(value) : hash;
    if (h.sequence <= 0 || h.previous < 0 || h.previous >= h.sequence || h.hash.size() != 32) continue;  // ReadHeaders
    if (mode == 1) Require(Keys().Sign(h).ok(), "the registry signs with its key");
    if (mode == 2) Require(Stranger().Sign(h).ok(), "a stranger signs with theirs");
    if (mode == 3) {
      if (raw_key.empty() || raw_key.size() > 32 || raw_mac.size() != 32) continue;  // ReadHeaders refuses these
      h.key_id = raw_key;
      h.mac = raw_mac;
    }
    const bool genuine = Keys().Verify("registry", h).ok();
    if (mode == 1) Require(genuine, "what the registry signed verifies");
    if (mode == 0 || mode == 2) Require(!genuine, "an unsigned message or a stranger's MAC never verifies");
    const int64_t watermark = part.pos.watermark(), applied = applier.applied(), unverified = applier.unverified();
    const bus::Delivery delivery{.offset = n, .value = value, .headers = h};
    const absl::Status s = applier.Stage(part, delivery, [] { return 4; });
    Require(part.pos.watermark() >= watermark, "the watermark never goes back");
    if (!genuine) {
      Require(s.ok(), "an unverifiable message is parked, never retried");
      Require(part.pos.watermark() == watermark, "an unverifiable message does not move the watermark");
      Require(applier.applied() == applied, "an unverifiable message applies nothing");
      Require(applier.unverified() == unverified + 1, "an unverifiable message is counted");
      Require(part.pos.next_offset() == n + 1, "an unverifiable message is skipped");
    }
  }
  return 0;
}

}  // namespace yilian::fuzz
