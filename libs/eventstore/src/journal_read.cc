// The journal's read side: range reads, aggregate streams, chain verification.
#include "absl/strings/str_cat.h"
#include "src/keys.h"
#include "yilian/common/logging.h"
#include "yilian/common/sha256.h"
#include "yilian/common/strings.h"
#include "yilian/eventstore/journal.h"

namespace yilian::eventstore {
namespace {

absl::StatusOr<JournalEntry> SplitEntry(std::string_view key, std::string_view value) {
  JournalEntry e;
  e.sequence = static_cast<int64_t>(DecodeU64(key));
  if (key.size() != 8 || value.size() < keys::kHashSize)
    return absl::DataLossError(absl::StrCat("journal entry ", e.sequence, " is truncated"));
  e.hash = value.substr(0, keys::kHashSize);
  e.envelope = value.substr(keys::kHashSize);
  return e;
}

}  // namespace

Journal::Cursor Journal::NewCursor() const {
  return Cursor(std::unique_ptr<rocksdb::Iterator>(
      store_->db()->NewIterator(rocksdb::ReadOptions(), store_->cf(Family::kJournal))));
}

absl::Status Journal::Cursor::At(int64_t sequence, absl::FunctionRef<void(const JournalEntry&)> fn) {
  const std::string key = EncodeU64(static_cast<uint64_t>(sequence));
  it_->Seek(key);
  if (!it_->status().ok()) return FromRocks(it_->status(), "reading the journal");
  if (!it_->Valid() || it_->key().ToStringView() != key)
    return absl::NotFoundError(absl::StrCat("no journal entry ", sequence));
  auto e = SplitEntry(it_->key().ToStringView(), it_->value().ToStringView());
  if (!e.ok()) return e.status();
  fn(*e);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Journal::Read(int64_t from_sequence, int64_t max,
                                      absl::FunctionRef<bool(const JournalEntry&)> fn, bool fill_cache) const {
  rocksdb::ReadOptions ro;
  // Read ahead for a long pass only: a read of one or a few entries (an audit replay of one
  // patient reads each entry its index lists this way) would otherwise copy 2 MiB of the file
  // for each, ~160 us instead of a few.
  if (max == 0 || max > 64) ro.readahead_size = 2 << 20;
  ro.fill_cache = fill_cache;
  std::unique_ptr<rocksdb::Iterator> it(store_->db()->NewIterator(ro, store_->cf(Family::kJournal)));
  int64_t n = 0;
  for (it->Seek(EncodeU64(static_cast<uint64_t>(std::max<int64_t>(from_sequence, 1)))); it->Valid(); it->Next()) {
    auto e = SplitEntry(it->key().ToStringView(), it->value().ToStringView());
    if (!e.ok()) return e.status();
    ++n;
    if (!fn(*e) || (max > 0 && n >= max)) break;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading the journal");
  return n;
}

absl::StatusOr<int64_t> Journal::ReadAggregate(std::string_view type, std::string_view id, int64_t from_version,
                                               absl::FunctionRef<bool(const JournalEntry&)> fn) const {
  const std::string prefix = keys::StreamPrefix(type, id);
  const std::string start = keys::Stream(type, id, std::max<int64_t>(from_version, 1));
  absl::Status failure;
  int64_t n = 0;
  auto scanned = store_->Scan(Family::kStreams, prefix, start, [&](std::string_view, std::string_view seq_key) {
    auto v = store_->Get(Family::kJournal, seq_key);
    if (!v.ok() || !*v) {
      failure = v.ok() ? absl::DataLossError(absl::StrCat("journal entry ", DecodeU64(seq_key), " indexed for ",
                                                          common::Sv(type), " ", common::Sv(id), " is missing"))
                       : v.status();
      return false;
    }
    auto e = SplitEntry(seq_key, **v);
    if (!e.ok()) {
      failure = e.status();
      return false;
    }
    ++n;
    return fn(*e);
  });
  if (!scanned.ok()) return scanned.status();
  if (!failure.ok()) return failure;
  return n;
}

absl::StatusOr<VerifyResult> Journal::Verify(int64_t from_sequence, int64_t to_sequence) const {
  const Head head = this->head();
  if (from_sequence < 1) from_sequence = 1;
  if (to_sequence <= 0 || to_sequence > head.sequence) to_sequence = head.sequence;
  VerifyResult result;
  std::string prev_hash;  // the first entry links to nothing
  if (from_sequence > 1) {
    auto prev = store_->Get(Family::kJournal, EncodeU64(static_cast<uint64_t>(from_sequence - 1)));
    if (!prev.ok()) return prev.status();
    if (!*prev || (*prev)->size() < keys::kHashSize) {
      result.intact = false;
      result.bad_sequence = from_sequence - 1;
      result.problem = "entry is missing or truncated";
      return result;
    }
    prev_hash = common::Sha256(std::string_view(**prev).substr(keys::kHashSize));
  }
  auto fail = [&](int64_t seq, std::string problem) {
    result.intact = false;
    result.bad_sequence = seq;
    result.problem = std::move(problem);
    return false;
  };
  int64_t expected = from_sequence;
  auto read = Read(from_sequence, 0, [&](const JournalEntry& e) {
    if (e.sequence > to_sequence) return false;
    if (e.sequence != expected) return fail(expected, "entry is missing");
    const std::string computed = common::Sha256(e.envelope);
    if (computed != e.hash) return fail(e.sequence, "entry's bytes do not match its stored hash");
    events::v1::Envelope env;
    if (!env.ParseFromArray(e.envelope.data(), static_cast<int>(e.envelope.size())))
      return fail(e.sequence, "entry does not parse as an envelope");
    if (env.source_sequence() != e.sequence)
      return fail(e.sequence, absl::StrCat("entry claims sequence ", env.source_sequence()));
    if (env.previous_hash() != prev_hash)
      return fail(e.sequence - 1, absl::StrCat("entry's hash is not the previous_hash recorded by entry ", e.sequence,
                                               ": one of the two was altered"));
    prev_hash = computed;
    result.head = Head{e.sequence, computed};
    ++result.checked;
    ++expected;
    return true;
  });
  if (!read.ok()) return read.status();
  if (result.intact && expected <= to_sequence) fail(expected, "entry is missing");
  if (result.intact && to_sequence == head.sequence && result.checked > 0 && prev_hash != head.hash)
    fail(head.sequence, "last entry's hash is not the journal head's hash");
  return result;
}

}  // namespace yilian::eventstore
