#include "archive_model.h"

#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "entry_scan.h"
#include "yilian/common/sha256.h"
#include "yilian/common/status_macros.h"
#include "yilian/common/timestamp.h"

namespace yilian::audit {

namespace av1 = ::yilian::audit::v1;

using eventstore::DecodeU64;
using eventstore::EncodeU64;
using eventstore::Family;

namespace {

const std::string kNul(1, '\0');
std::string Pos(int64_t p) { return EncodeU64(static_cast<uint64_t>(p)); }
std::string SourceKey(const std::string& source, int64_t seq) { return absl::StrCat("src/", source, kNul, Pos(seq)); }

}  // namespace

int64_t Millis(const google::protobuf::Timestamp& t) { return t.seconds() * 1000 + t.nanos() / 1'000'000; }
std::string AggregatePrefix(const std::string& source, const std::string& type, const std::string& id) {
  return absl::StrCat("ag/", source, kNul, type, kNul, id, kNul);
}
std::string PatientPrefix(const std::string& patient) { return absl::StrCat("pt/", patient, kNul); }
std::string InstitutionPrefix(const std::string& institution) { return absl::StrCat("in/", institution, kNul); }
std::string TimeKey(int64_t recorded_ms, int64_t position) {
  return absl::StrCat("tm/", EncodeU64(static_cast<uint64_t>(std::max<int64_t>(0, recorded_ms))), Pos(position));
}
int64_t PositionOfIndexKey(std::string_view key) {
  return key.size() < 8 ? 0 : static_cast<int64_t>(DecodeU64(key.substr(key.size() - 8)));
}

absl::StatusOr<Unpacked> Unpack(const eventstore::JournalEntry& stored) {
  ASSIGN_OR_RETURN(auto outer, eventstore::ParseEnvelope(stored.envelope));
  Unpacked u;
  u.entry.set_position(stored.sequence);
  u.entry.set_chain_hash(std::string(stored.hash));
  av1::ArchivedEvent archived;
  if (outer.payload().Is<av1::ArchivedEvent>()) {
    if (!outer.payload().UnpackTo(&archived))
      return absl::DataLossError(absl::StrCat("archive entry ", stored.sequence));
    ASSIGN_OR_RETURN(u.envelope, eventstore::ParseEnvelope(archived.envelope()));
    u.entry.set_source_service(archived.source_service());
    u.entry.set_source_sequence(archived.source_sequence());
    *u.entry.mutable_envelope() = std::move(*archived.mutable_envelope());
    u.correction = archived.correction();
  } else {
    u.envelope = std::move(outer);
    u.entry.set_source_service(u.envelope.source_service());
    u.entry.set_source_sequence(u.envelope.source_sequence());
    u.entry.set_envelope(std::string(stored.envelope));
  }
  u.entry.set_event_type(u.envelope.event_type());
  YILIAN_SET_MS(u.entry, recorded_at, Millis(u.envelope.recorded_at()));
  return u;
}

absl::Status IndexProjector::Apply(const events::v1::Envelope& outer, eventstore::ProjectionBatch& rows) {
  const int64_t pos = outer.source_sequence();
  const events::v1::Envelope* env = &outer;
  events::v1::Envelope inner;
  av1::ArchivedEvent archived;
  if (outer.payload().Is<av1::ArchivedEvent>()) {
    if (!outer.payload().UnpackTo(&archived)) return absl::InvalidArgumentError("ArchivedEvent does not parse");
    ASSIGN_OR_RETURN(inner, eventstore::ParseEnvelope(archived.envelope()));
    env = &inner;
    const std::string key = SourceKey(archived.source_service(), archived.source_sequence());
    ASSIGN_OR_RETURN(auto prior, rows.Get(key));
    const std::string copy = Pos(pos) + common::Sha256(archived.envelope()) + inner.previous_hash();
    if (!prior || archived.correction()) {
      rows.Put(key, copy);
    } else {  // a second, different copy of a source entry: kept, and reported by verify
      rows.Put(absl::StrCat("srcx/", archived.source_service(), kNul, Pos(archived.source_sequence()), kNul, Pos(pos)),
               "");
    }
  }
  const std::string p = Pos(pos);
  rows.Put(AggregatePrefix(env->source_service(), env->aggregate_type(), env->aggregate_id()) + p, "");
  if (!env->patient().value().empty()) rows.Put(PatientPrefix(env->patient().value()) + p, "");
  std::set<std::string> institutions(env->institution_ids().begin(), env->institution_ids().end());
  if (!env->actor().institution_id().empty()) institutions.insert(env->actor().institution_id());
  for (const auto& i : institutions) rows.Put(InstitutionPrefix(i) + p, "");
  rows.Put(TimeKey(Millis(env->recorded_at()), pos), "");
  if (env->event_type() == "yilian.registry.v1.PatientErased" && !env->patient().value().empty())
    rows.Put("er/" + env->patient().value(), "");
  return absl::OkStatus();
}

bool ArchiveView::Erased(const std::string& patient) const {
  if (patient.empty()) return false;
  auto row = store_->Get(Family::kProjection, "er/" + patient);
  return row.ok() && row->has_value();
}

absl::StatusOr<absl::flat_hash_set<std::string>> ArchiveView::ErasedPatients() const {
  absl::flat_hash_set<std::string> erased;
  RETURN_IF_ERROR(store_
                      ->Scan(Family::kProjection, "er/", "",
                             [&](std::string_view k, std::string_view) {
                               erased.emplace(k.substr(3));
                               return true;
                             })
                      .status());
  return erased;
}

void ArchiveView::MarkErased(const absl::flat_hash_set<std::string>& erased, Unpacked& u) {
  const std::string& patient = u.envelope.patient().value();
  u.entry.set_patient_erased(!patient.empty() && erased.contains(patient));
}

absl::StatusOr<Unpacked> ArchiveView::UnpackAt(int64_t position) const {
  absl::StatusOr<Unpacked> out = absl::NotFoundError(absl::StrCat("no archive entry ", position));
  auto read = journal_->NewCursor().At(position, [&](const eventstore::JournalEntry& e) { out = Unpack(e); });
  if (!read.ok() && !absl::IsNotFound(read)) return read;
  return out;
}

absl::StatusOr<Unpacked> ArchiveView::At(int64_t position) const {
  auto out = UnpackAt(position);
  if (out.ok()) MarkErased(*out);
  return out;
}

absl::Status ArchiveView::StoredAfter(int64_t after, const StoredFn& fn) const {
  absl::Status failed;
  RETURN_IF_ERROR(journal_
                      ->Read(after + 1, 0,
                             [&](const eventstore::JournalEntry& e) {
                               auto more = fn(e);
                               if (!more.ok()) failed = more.status();
                               return more.ok() && *more;
                             })
                      .status());
  return failed;
}

absl::Status ArchiveView::StoredIndexed(const std::string& prefix, const std::string& start, const StoredFn& fn) const {
  absl::Status failed;
  std::optional<eventstore::Journal::Cursor> cursor;
  RETURN_IF_ERROR(store_
                      ->Scan(Family::kProjection, prefix, start,
                             [&](std::string_view k, std::string_view) {
                               // Made once the index scan has begun, so it sees every entry the
                               // index lists (an entry and its index rows are one write).
                               if (!cursor) cursor.emplace(journal_->NewCursor());
                               const int64_t position = PositionOfIndexKey(k);
                               absl::StatusOr<bool> more = false;
                               auto read =
                                   cursor->At(position, [&](const eventstore::JournalEntry& e) { more = fn(e); });
                               if (absl::IsNotFound(read)) {
                                 more = absl::NotFoundError(absl::StrCat("no archive entry ", position));
                               } else if (!read.ok()) {
                                 more = read;
                               }
                               if (!more.ok()) failed = more.status();
                               return more.ok() && *more;
                             })
                      .status());
  return failed;
}

ArchiveView::StoredFn ArchiveView::Unpacking(const absl::flat_hash_set<std::string>& erased,
                                             const std::function<bool(Unpacked&)>& fn) {
  return [&erased, &fn](const eventstore::JournalEntry& e) -> absl::StatusOr<bool> {
    ASSIGN_OR_RETURN(auto u, Unpack(e));
    MarkErased(erased, u);
    return fn(u);
  };
}

ArchiveView::StoredFn ArchiveView::Scanning(const absl::flat_hash_set<std::string>& erased,
                                            const std::function<bool(av1::Entry&)>& fn) {
  return [&erased, &fn, entry = av1::Entry(),
          patient = std::string()](const eventstore::JournalEntry& e) mutable -> absl::StatusOr<bool> {
    entry.Clear();
    RETURN_IF_ERROR(ScanEntry(e, &entry, &patient));
    entry.set_patient_erased(!patient.empty() && erased.contains(patient));
    return fn(entry);
  };
}

absl::Status ArchiveView::ForEach(int64_t after, const std::function<bool(Unpacked&)>& fn) const {
  ASSIGN_OR_RETURN(const auto erased, ErasedPatients());
  return StoredAfter(after, Unpacking(erased, fn));
}

absl::Status ArchiveView::ForEachIndexed(const std::string& prefix, const std::string& start,
                                         const std::function<bool(Unpacked&)>& fn) const {
  ASSIGN_OR_RETURN(const auto erased, ErasedPatients());
  return StoredIndexed(prefix, start, Unpacking(erased, fn));
}

absl::Status ArchiveView::ForEachEntry(int64_t after, const std::function<bool(av1::Entry&)>& fn) const {
  ASSIGN_OR_RETURN(const auto erased, ErasedPatients());
  return StoredAfter(after, Scanning(erased, fn));
}

absl::Status ArchiveView::ForEachIndexedEntry(const std::string& prefix, const std::string& start,
                                              const std::function<bool(av1::Entry&)>& fn) const {
  ASSIGN_OR_RETURN(const auto erased, ErasedPatients());
  return StoredIndexed(prefix, start, Scanning(erased, fn));
}

absl::Status ArchiveView::ForEachSourceCopy(const std::string& source,
                                            const std::function<bool(const SourceCopy&)>& fn) const {
  const std::string prefix = absl::StrCat("src/", source, kNul);
  return store_
      ->Scan(Family::kProjection, prefix, "",
             [&](std::string_view k, std::string_view v) {
               SourceCopy c;
               c.sequence = PositionOfIndexKey(k);
               if (v.size() < 40) return true;
               c.position = static_cast<int64_t>(DecodeU64(v.substr(0, 8)));
               c.hash = std::string(v.substr(8, 32));
               c.previous_hash = std::string(v.substr(40));
               return fn(c);
             })
      .status();
}

absl::StatusOr<std::vector<std::string>> ArchiveView::Sources() const {
  std::vector<std::string> out;
  std::string next = "src/";
  while (true) {  // skip from one source to the next
    std::string found;
    RETURN_IF_ERROR(store_
                        ->Scan(Family::kProjection, "src/", next,
                               [&](std::string_view k, std::string_view) {
                                 found = std::string(k.substr(4, k.find('\0') - 4));
                                 return false;
                               })
                        .status());
    if (found.empty()) return out;
    out.push_back(found);
    next = absl::StrCat("src/", found, std::string(1, '\x01'));
  }
}

}  // namespace yilian::audit
