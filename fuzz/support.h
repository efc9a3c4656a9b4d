#pragma once
// What the fuzz targets share: a scratch RocksDB store, a registry directory read from the
// input, a plausible clock reading, and the envelopes the services put events in.
// Not thread-safe.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "fuzz_input.h"
#include "yilian/domain/referral/referral.h"
#include "yilian/events/v1/envelope.pb.h"
#include "yilian/eventstore/projection.h"
#include "yilian/eventstore/store.h"

namespace yilian::fuzz {

// A fresh directory under $TMPDIR (or /tmp; under /dev/shm with `memory`, where fsync is
// cheap), removed by RemoveDir. Aborts when none can be made.
std::string MakeTempDir(bool memory = false);
void RemoveDir(const std::string& dir);

// One process-wide store in a fresh temp directory (in memory when /dev/shm exists; removed at
// exit), with logging off. Targets stage rows in a Scratch batch and write them only through
// CommitUnderNewPrefix.
eventstore::Store& ScratchStore();

// A pending batch over the scratch store, as a projector sees one inside a consumer's batch.
class Scratch {
 public:
  explicit Scratch(eventstore::Family family = eventstore::Family::kConsumed) : rows_(ScratchStore(), &wb_, family) {}
  eventstore::ProjectionBatch& rows() { return rows_; }
  eventstore::StagedWrites& batch() { return wb_; }

 private:
  eventstore::StagedWrites wb_;
  eventstore::ProjectionBatch rows_;
};

// Writes `batch` (rows a projector staged) to `family` of the scratch store with every key
// under a prefix of its own, and returns the prefix: reads under it see these rows and nothing
// of an earlier input, with no deletes to wade through. The family is emptied every 2048 calls.
std::string CommitUnderNewPrefix(const rocksdb::WriteBatch& batch, eventstore::Family family);

// A registry as a consumer's mirror would hold it: institutions and consortia from the input.
class FuzzDirectory : public domain::referral::Directory {
 public:
  // Reads two chunks: a ListInstitutionsResponse and a ListConsortiaResponse. False when either
  // does not parse.
  bool Read(FuzzInput& in);
  std::optional<registry::v1::Institution> FindInstitution(const std::string& id) const override;
  std::vector<std::string> ConsortiaOf(const std::string& institution_id) const override;
  std::optional<registry::v1::Consortium> FindConsortium(const std::string& id) const override;
  const std::map<std::string, registry::v1::Institution>& institutions() const { return institutions_; }
  const std::map<std::string, registry::v1::Consortium>& consortia() const { return consortia_; }

 private:
  std::map<std::string, registry::v1::Institution> institutions_;
  std::map<std::string, registry::v1::Consortium> consortia_;
};

// A clock reading the services could see: 2017 .. 2153 (the clock is not the attacker's).
inline absl::Time ReadNow(FuzzInput& in) { return absl::FromUnixMillis(1'500'000'000'000 + int64_t{in.U32()} * 1000); }

// The envelope a source service's journal would hold for `payload`: type, source, aggregate,
// version, times, and the payload packed.
events::v1::Envelope EnvelopeFor(const google::protobuf::Message& payload, const std::string& source,
                                 const std::string& aggregate_type, const std::string& aggregate_id, int64_t version,
                                 int64_t sequence, absl::Time recorded);

}  // namespace yilian::fuzz
