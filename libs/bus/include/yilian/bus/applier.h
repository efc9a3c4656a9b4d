#pragma once
// The exactly-once applier: folds other services' journal entries, as a transport delivers
// them, into this service's `consumed` family through its Projector. It knows nothing of
// Kafka: the BusConsumer's session hands it each message (value, headers, offset) of a
// partition and writes what it staged with Flush.
//
// Per partition it keeps a watermark: every source sequence up to it that maps to the
// partition has been handled. A message at or below it is a duplicate; one whose
// `yilian-previous` header is above it reveals a gap (evicted offsets, a fresh broker, a
// consumer that was away), filled from the source's catch-up feed before the message is
// applied. Per aggregate, a version above applied+1 is filled from the feed too. A stand-in
// (wire.h: the relay's message in place of an entry the broker refused) is filled from the
// feed the same way, up to and including the entry it stands for.
//
// Every message must verify under a key of its topic's source (bus_keys.h) before anything
// of it is believed, its sequence and `yilian-previous` included. One that does not (forged,
// unsigned, signed with an unknown key) is parked with the reason and skipped: the
// partition's offset moves past it, so it cannot stop the partition, but its watermark does
// not, so a forged sequence can neither hide genuine events nor trigger a fill. The MAC covers
// the partition too: a genuine message copied into another partition does not verify there. A
// message that cannot be read (bad headers, hash mismatch, unparseable envelope) is parked and
// skipped the same way; one whose headers do not parse counts as unverified as well. Of such
// junk the first 10,000 per run are kept as parking records (a 4 KiB prefix each); the rest
// are counted only. An event the projector refuses is parked, and later events of that aggregate
// are parked behind it (its order is kept); other aggregates keep flowing.
//
// Flush writes the projector's rows, each aggregate's applied version, the parked records
// and the partitions' positions in ONE batch, so the durable state is always self-consistent
// and a restart resumes exactly there. Keys under "bus/" in the consumed family are the
// applier's; projectors must not use them.
//
// Not thread-safe: one consumer thread owns it. Borrows the store, projector and feed.

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "yilian/bus/bus_keys.h"
#include "yilian/bus/event_source.h"
#include "yilian/bus/propagation.h"
#include "yilian/bus/v1/bus.pb.h"
#include "yilian/bus/wire.h"
#include "yilian/common/clock.h"
#include "yilian/eventstore/projection.h"
#include "yilian/eventstore/store.h"

namespace yilian::bus {

struct ApplierOptions {
  std::string group_id;                        // the consuming service, for the log
  eventstore::Projector* projector = nullptr;  // required
  EventSource* feed = nullptr;                 // catch-up; without it a gap is UNAVAILABLE
  const BusKeys* keys = nullptr;               // required: verifies every message (borrowed)
  common::Clock* clock = &common::Clock::Real();
};

// One partition as the applier follows it.
struct PartitionState {
  std::string topic;
  int32_t partition = 0;
  std::string source;        // the owning service of the topic
  v1::ConsumerPosition pos;  // next offset and watermark
  bool dirty = false;        // moved since the last Flush
};

// A message of a partition as the transport received it.
struct Delivery {
  int64_t offset = 0;
  std::string_view value;
  absl::StatusOr<WireHeaders> headers;  // an error: unreadable, parked
};

class Applier {
 public:
  Applier(eventstore::Store* store, ApplierOptions options);

  // The position a partition was left at (an empty one for a partition never seen).
  absl::StatusOr<v1::ConsumerPosition> StoredPosition(const std::string& topic, int32_t partition) const;

  // Stages one message of `part`: applied, a duplicate, or parked, and the position moves past
  // it. An error (the feed unreachable for a gap, a store error) stages nothing of it and
  // leaves the position: the caller pauses the partition and delivers the message again
  // later. `partitions` tells the topic's partition count (asked only to fill a gap).
  absl::Status Stage(PartitionState& part, const Delivery& message, absl::FunctionRef<int32_t()> partitions);

  // Writes what was staged, with the positions of the partitions it moved, in one batch.
  // Returns whether anything was written. On failure nothing of it is: those partitions are
  // set back to their stored positions (the caller reads their messages again). A staged
  // partition must stay where it is (not destroyed or moved) until the next Flush.
  absl::StatusOr<bool> Flush();

  // Counters since start, and the propagation (commit to applied) of what was flushed.
  int64_t applied() const { return applied_; }
  int64_t duplicates() const { return duplicates_; }
  int64_t filled() const { return filled_; }
  int64_t parked() const { return parked_; }
  int64_t unverified() const { return unverified_; }
  const PropagationHistogram& propagation() const { return propagation_; }

  // Parked events, oldest first, without their raw bytes. INVALID_ARGUMENT on a bad token.
  static absl::StatusOr<v1::ListParkedResponse> ListParked(const eventstore::Store& store, int page_size,
                                                           const std::string& page_token);

 private:
  // Where an event came from, for its parking record.
  struct Origin {
    const PartitionState* part;
    int64_t offset;  // -1: from the feed
  };
  absl::Status FillPartition(PartitionState& part, int64_t to, int32_t partitions);
  // `bytes`: the entry as the source stored it.
  absl::Status Apply(const std::string& source, const events::v1::Envelope& env, std::string_view bytes,
                     const Origin& origin);
  absl::Status ApplyOne(const std::string& source, const events::v1::Envelope& env, std::string_view bytes,
                        const Origin& origin);
  // The partition moved: its position goes with the next Flush.
  void Moved(PartitionState& part);
  // Parks an event (`env` null: unreadable) with `reason`.
  void Park(const events::v1::Envelope* env, const WireHeaders* headers, std::string reason, const Origin& origin,
            std::string_view value);

  eventstore::Store* store_;
  ApplierOptions options_;
  eventstore::StagedWrites wb_;
  std::vector<PartitionState*> moved_;  // partitions dirty since the last Flush
  int64_t applied_ = 0, duplicates_ = 0, filled_ = 0, parked_ = 0, unverified_ = 0;
  int64_t junk_ = 0;  // unreadable or unverifiable messages parked this run
  // Commit times of the events applied in the batch being built: observed once it is written.
  std::vector<std::pair<std::string, absl::Time>> committed_;
  PropagationHistogram propagation_;
};

}  // namespace yilian::bus
