#pragma once
// The audit archive's indexes, folded from the audit's own journal (the archive) by its
// projector, in the `projection` family. Positions are archive journal sequences (BE u64).
//
//   ag/<source>\0<type>\0<id>\0<pos>   an aggregate's events, in archive order
//   pt/<patient ref>\0<pos>            a patient's
//   in/<institution>\0<pos>            an institution's (envelope institutions and the actor's)
//   tm/<recorded ms><pos>              by the time the source recorded it
//   src/<source>\0<seq>                the archived copy of a source entry:
//                                      <pos 8><entry hash 32><the entry's previous_hash>
//   srcx/<source>\0<seq>\0<pos>        another, different copy of the same source entry
//   er/<patient ref>                   the patient was erased (a registry PatientErased)
//
// Archive entries are ArchivedEvent envelopes (another service's entry, byte for byte) or the
// audit's own AuditCallRecorded. Thread-safe; borrows the store and journal.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "yilian/audit/v1/audit.pb.h"
#include "yilian/eventstore/journal.h"

namespace yilian::audit {
inline constexpr char kArchive[] = "archive";       // aggregate of archived events (id: source)
inline constexpr char kAuditCall[] = "audit_call";  // aggregate of audit calls (id: auditor)

// An archive entry as replay and export show it: for an archived event, the source's
// envelope; for the audit's own record, the archive's envelope.
struct Unpacked {
  v1::Entry entry;
  events::v1::Envelope envelope;  // parsed `entry.envelope`
  bool correction = false;
};
absl::StatusOr<Unpacked> Unpack(const eventstore::JournalEntry& stored);

class IndexProjector : public eventstore::Projector {
 public:
  absl::Status Apply(const events::v1::Envelope& event, eventstore::ProjectionBatch& rows) override;
};

// A source entry's archived copy, from the src/ index.
struct SourceCopy {
  int64_t sequence = 0;
  int64_t position = 0;
  std::string hash;           // SHA-256 of the source's stored bytes
  std::string previous_hash;  // the previous source entry's hash, as the entry says
};

class ArchiveView {
 public:
  ArchiveView(const eventstore::Store* store, const eventstore::Journal* journal) : store_(store), journal_(journal) {}

  // Visits entries in archive order from `after + 1` until `fn` returns false (`fn` may take
  // the entry's parts: each is built for it alone).
  absl::Status ForEach(int64_t after, const std::function<bool(Unpacked&)>& fn) const;
  // Visits the entries an index prefix lists (positions after `after`), in index order.
  absl::Status ForEachIndexed(const std::string& prefix, const std::string& start,
                              const std::function<bool(Unpacked&)>& fn) const;
  // The same walks for a caller that needs only each entry's replayed form (patient_erased set):
  // read from the stored bytes without parsing the envelopes (entry_scan.h), several times
  // faster. `fn` may move from the entry.
  absl::Status ForEachEntry(int64_t after, const std::function<bool(v1::Entry&)>& fn) const;
  absl::Status ForEachIndexedEntry(const std::string& prefix, const std::string& start,
                                   const std::function<bool(v1::Entry&)>& fn) const;
  absl::StatusOr<Unpacked> At(int64_t position) const;
  // The patient was erased: what was sealed for them is gone (At, ForEach and
  // ForEachIndexed set Entry.patient_erased with it).
  bool Erased(const std::string& patient) const;
  void MarkErased(Unpacked& u) const { u.entry.set_patient_erased(Erased(u.envelope.patient().value())); }
  // Every erased patient, read once for a scan: one lookup per visited entry would cost more
  // than the rest of a replay (erasures are few; the set is small).
  absl::StatusOr<absl::flat_hash_set<std::string>> ErasedPatients() const;
  static void MarkErased(const absl::flat_hash_set<std::string>& erased, Unpacked& u);
  // A source's archived copies in sequence order.
  absl::Status ForEachSourceCopy(const std::string& source, const std::function<bool(const SourceCopy&)>& fn) const;
  // Sources that have archived entries.
  absl::StatusOr<std::vector<std::string>> Sources() const;
  const eventstore::Journal& journal() const { return *journal_; }

 private:
  absl::StatusOr<Unpacked> UnpackAt(int64_t position) const;  // without the erasure mark
  // Each stored entry after `after` in archive order, or each one an index prefix lists, until
  // `fn` returns false or an error.
  using StoredFn = std::function<absl::StatusOr<bool>(const eventstore::JournalEntry&)>;
  absl::Status StoredAfter(int64_t after, const StoredFn& fn) const;
  absl::Status StoredIndexed(const std::string& prefix, const std::string& start, const StoredFn& fn) const;
  static StoredFn Unpacking(const absl::flat_hash_set<std::string>& erased, const std::function<bool(Unpacked&)>& fn);
  static StoredFn Scanning(const absl::flat_hash_set<std::string>& erased, const std::function<bool(v1::Entry&)>& fn);

  const eventstore::Store* store_;
  const eventstore::Journal* journal_;
};

// Index keys (shared by the projector and the queries).
std::string AggregatePrefix(const std::string& source, const std::string& type, const std::string& id);
std::string PatientPrefix(const std::string& patient);
std::string InstitutionPrefix(const std::string& institution);
std::string TimeKey(int64_t recorded_ms, int64_t position);
int64_t PositionOfIndexKey(std::string_view key);  // the trailing 8 bytes
int64_t Millis(const google::protobuf::Timestamp& t);

}  // namespace yilian::audit
