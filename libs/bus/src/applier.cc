#include "yilian/bus/applier.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "yilian/common/logging.h"
#include "yilian/common/sha256.h"
#include "yilian/common/status_macros.h"
#include "yilian/common/strings.h"
#include "yilian/common/uuid.h"
#include "yilian/eventstore/journal.h"

namespace yilian::bus {

using eventstore::DecodeU64;
using eventstore::EncodeU64;
using eventstore::Family;
using eventstore::ProjectionBatch;

namespace {

constexpr char kParkPrefix[] = "bus/park/";
constexpr size_t kFlushOps = 20000;         // write a long catch-up in pieces
constexpr size_t kMaxClaimBytes = 64;       // of an unbelieved message's type, in its parking record
constexpr size_t kMaxUnreadBytes = 4096;    // of an unreadable message's value, in its parking record
constexpr int64_t kMaxJunkParked = 10'000;  // records of unreadable or unverifiable messages kept per run

std::string PositionKey(const std::string& topic, int32_t partition) {
  return absl::StrCat("bus/pos/", topic, std::string(1, '\0'), EncodeU64(static_cast<uint32_t>(partition)));
}

std::string VersionKey(const std::string& source, const events::v1::Envelope& e) {
  std::string k = absl::StrCat("bus/v/", source);
  k.push_back('\0');
  k.append(e.aggregate_type());
  k.push_back('\0');
  k.append(e.aggregate_id());
  return k;
}

// Checks a message's hash and envelope against its headers and partition.
absl::StatusOr<events::v1::Envelope> ReadMessage(std::string_view value, const WireHeaders& hdrs,
                                                 const std::string& source) {
  if (common::Sha256(value) != hdrs.hash)
    return absl::DataLossError("the value does not match its yilian-sha256 header");
  auto env = eventstore::ParseEnvelope(value);
  if (!env.ok()) return env.status();
  if (env->source_sequence() != hdrs.sequence || env->source_service() != source)
    return absl::InvalidArgumentError("the envelope's source or sequence disagrees with its headers and topic");
  return env;
}

// Trouble that says nothing about the event (retry it) rather than a refusal (park it).
bool IsTransient(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kCancelled:
      return true;
    default:
      return false;
  }
}

// Version row: 8 bytes (applied version) + "B" when the aggregate is blocked behind a
// parked event.
struct Applied {
  int64_t version = 0;
  bool blocked = false;
};

std::string VersionRow(int64_t version, bool blocked) {
  return EncodeU64(static_cast<uint64_t>(version)) + (blocked ? "B" : "");
}

}  // namespace

Applier::Applier(eventstore::Store* store, ApplierOptions options) : store_(store), options_(std::move(options)) {}

absl::StatusOr<v1::ConsumerPosition> Applier::StoredPosition(const std::string& topic, int32_t partition) const {
  v1::ConsumerPosition pos;
  ASSIGN_OR_RETURN(auto row, store_->Get(Family::kConsumed, PositionKey(topic, partition)));
  if (row && !pos.ParseFromString(*row))
    return absl::DataLossError(absl::StrCat("the stored position of ", topic, "[", partition, "] does not parse"));
  return pos;
}

void Applier::Park(const events::v1::Envelope* env, const WireHeaders* headers, std::string reason,
                   const Origin& origin, std::string_view value) {
  v1::ParkedEvent parked;
  parked.set_topic(origin.part->topic);
  parked.set_partition(origin.part->partition);
  parked.set_offset(origin.offset);
  parked.set_source_service(origin.part->source);
  if (env != nullptr) {
    parked.set_source_service(env->source_service().empty() ? origin.part->source : env->source_service());
    parked.set_source_sequence(env->source_sequence());
    parked.set_aggregate_type(env->aggregate_type());
    parked.set_aggregate_id(env->aggregate_id());
    parked.set_aggregate_version(env->aggregate_version());
    parked.set_event_type(env->event_type());
  } else if (headers != nullptr) {  // claims of a message not believed: kept short
    parked.set_source_sequence(headers->sequence);
    parked.set_event_type(absl::CHexEscape(headers->type.substr(0, kMaxClaimBytes)));  // any bytes: UTF-8 here
  }
  // A flood of junk (what no key vouches for) is counted, not all kept: after the first
  // kMaxJunkParked of this run, neither a record nor a log line for each.
  if (env == nullptr && ++junk_ > kMaxJunkParked) {
    if (junk_ % 10'000 == 0)
      common::Logger().warn("consumer {}: {} unreadable or unverifiable messages this run; the last: {}",
                            options_.group_id, junk_, reason);
    ++parked_;
    return;
  }
  parked.set_reason(std::move(reason));
  parked.set_size_bytes(static_cast<int64_t>(value.size()));
  // A readable event is kept whole, for a repair; of anything else a prefix, so that a flood
  // of junk cannot fill the disk.
  parked.set_value(std::string(env != nullptr ? value : value.substr(0, kMaxUnreadBytes)));
  *parked.mutable_parked_at() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(options_.clock->Now()));
  common::LogScope scope("correlation_id", env != nullptr ? env->correlation_id() : "");
  common::Logger().warn("consumer {}: parked {} seq {} ({} {} v{}) from {}[{}]@{}: {}", options_.group_id,
                        parked.source_service(), parked.source_sequence(), parked.aggregate_type(),
                        parked.aggregate_id(), parked.aggregate_version(), parked.topic(), parked.partition(),
                        parked.offset(), parked.reason());
  ProjectionBatch(*store_, &wb_, Family::kConsumed)
      .Put(absl::StrCat(kParkPrefix, common::NewUuid()), parked.SerializeAsString());
  ++parked_;
}

absl::Status Applier::ApplyOne(const std::string& source, const events::v1::Envelope& env, std::string_view bytes,
                               const Origin& origin) {
  ProjectionBatch rows(*store_, &wb_, Family::kConsumed);
  wb_.SetSavePoint();
  absl::Status s = options_.projector->ApplyEntry(env, bytes, rows);
  if (IsTransient(s)) {  // disk or store trouble, not the event's fault: retry later
    wb_.RollbackToSavePoint();
    return s;
  }
  if (s.ok()) {
    wb_.PopSavePoint();
    ++applied_;
    committed_.emplace_back(
        source, absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(env.recorded_at())));
  } else {
    wb_.RollbackToSavePoint();
    Park(&env, nullptr, absl::StrCat("projector refused the event: ", s.ToString()), origin, bytes);
  }
  rows.Put(VersionKey(source, env), VersionRow(env.aggregate_version(), /*blocked=*/!s.ok()));
  return absl::OkStatus();
}

absl::Status Applier::Apply(const std::string& source, const events::v1::Envelope& env, std::string_view bytes,
                            const Origin& origin) {
  ProjectionBatch rows(*store_, &wb_, Family::kConsumed);
  ASSIGN_OR_RETURN(auto row, rows.Get(VersionKey(source, env)));
  Applied applied;
  if (row && row->size() >= 8) {
    applied.version = static_cast<int64_t>(DecodeU64(row->substr(0, 8)));
    applied.blocked = row->size() > 8;
  }
  const int64_t v = env.aggregate_version();
  if (v <= applied.version) {
    ++duplicates_;
    return absl::OkStatus();
  }
  if (applied.blocked) {
    Park(&env, nullptr, absl::StrCat("aggregate is blocked behind its parked version ", applied.version), origin,
         bytes);
    rows.Put(VersionKey(source, env), VersionRow(v, /*blocked=*/true));
    return absl::OkStatus();
  }
  if (v > applied.version + 1) {  // this aggregate missed versions: fetch them first
    if (options_.feed == nullptr) return absl::UnavailableError("aggregate gap and no catch-up feed configured");
    int64_t reached = applied.version;
    RETURN_IF_ERROR(options_.feed->ReadAggregate(
        source, env.aggregate_type(), env.aggregate_id(), applied.version + 1, v - 1,
        [&](int64_t seq, std::string_view hash, std::string_view missing_bytes) -> absl::Status {
          if (common::Sha256(missing_bytes) != hash)
            return absl::DataLossError(absl::StrCat("feed entry ", seq, " fails its hash"));
          ASSIGN_OR_RETURN(auto missing, eventstore::ParseEnvelope(missing_bytes));
          if (missing.aggregate_version() != reached + 1)
            return absl::DataLossError(absl::StrCat("the feed skipped version ", reached + 1));
          reached = missing.aggregate_version();
          ++filled_;
          return ApplyOne(source, missing, missing_bytes, Origin{origin.part, -1});
        }));
    if (reached < v - 1)
      return absl::UnavailableError(absl::StrCat("the feed ended at version ", reached, " of ", env.aggregate_id()));
  }
  return ApplyOne(source, env, bytes, origin);
}

absl::Status Applier::FillPartition(PartitionState& part, int64_t to, int32_t partitions) {
  if (options_.feed == nullptr) return absl::UnavailableError("partition gap and no catch-up feed configured");
  if (partitions <= 0) return absl::UnavailableError(absl::StrCat("no metadata for ", part.topic));
  common::Logger().info("consumer {}: {}[{}] missed sequences {}..{}: reading them from the {} feed", options_.group_id,
                        part.topic, part.partition, part.pos.watermark() + 1, to, part.source);
  int64_t reached = part.pos.watermark();
  absl::Status read = options_.feed->ReadJournal(
      part.source, part.pos.watermark() + 1, to,
      [&](int64_t seq, std::string_view hash, std::string_view bytes) -> absl::Status {
        if (seq != reached + 1)
          return absl::DataLossError(absl::StrCat("the feed skipped from ", reached, " to ", seq));
        reached = seq;
        if (common::Sha256(bytes) != hash)
          return absl::DataLossError(absl::StrCat("feed entry ", seq, " fails its hash"));
        ASSIGN_OR_RETURN(auto env, eventstore::ParseEnvelope(bytes));
        if (PartitionFor(env.aggregate_id(), partitions) == part.partition) {
          ++filled_;
          RETURN_IF_ERROR(Apply(part.source, env, bytes, Origin{&part, -1}));
        }
        part.pos.set_watermark(seq);
        Moved(part);
        if (wb_.Count() > kFlushOps) return Flush().status();
        return absl::OkStatus();
      });
  if (read.ok() && reached < to)
    return absl::UnavailableError(absl::StrCat("the ", part.source, " feed ended at ", reached, ", before ", to));
  return read;
}

absl::Status Applier::Stage(PartitionState& part, const Delivery& m, absl::FunctionRef<int32_t()> partitions) {
  const Origin origin{&part, m.offset};
  auto advance = [&] {
    part.pos.set_next_offset(m.offset + 1);
    Moved(part);
    return absl::OkStatus();
  };
  // Nothing of it is believed before this. Headers that do not even parse cannot verify.
  if (!m.headers.ok()) ++unverified_;
  if (m.headers.ok()) {
    absl::Status verified = options_.keys == nullptr ? absl::FailedPreconditionError("this consumer has no bus keys")
                            : m.headers->partition != part.partition
                                ? absl::PermissionDeniedError(absl::StrCat("read from partition ", part.partition,
                                                                           ", signed for ", m.headers->partition))
                                : options_.keys->Verify(part.source, *m.headers);
    if (!verified.ok()) {
      ++unverified_;
      Park(nullptr, &*m.headers, absl::StrCat("unverifiable message: ", verified.message()), origin, m.value);
      return advance();
    }
  }
  if (m.headers.ok() && m.headers->stand_in) {  // the entry itself was too large for the broker
    if (m.headers->sequence <= part.pos.watermark()) {
      ++duplicates_;
      return advance();
    }
    RETURN_IF_ERROR(FillPartition(part, m.headers->sequence, partitions()));
    return advance();
  }
  absl::StatusOr<events::v1::Envelope> env =
      m.headers.ok() ? ReadMessage(m.value, *m.headers, part.source) : m.headers.status();
  if (!env.ok()) {  // unreadable: park it; the real event (if any) comes again or from the feed
    Park(nullptr, m.headers.ok() ? &*m.headers : nullptr, absl::StrCat("unreadable message: ", env.status().message()),
         origin, m.value);
    return advance();
  }
  const WireHeaders& hdrs = *m.headers;
  if (hdrs.sequence <= part.pos.watermark()) {
    ++duplicates_;
    return advance();
  }
  if (hdrs.previous > part.pos.watermark()) RETURN_IF_ERROR(FillPartition(part, hdrs.previous, partitions()));
  RETURN_IF_ERROR(Apply(part.source, *env, m.value, origin));
  part.pos.set_watermark(hdrs.sequence);
  return advance();
}

void Applier::Moved(PartitionState& part) {
  if (!part.dirty) moved_.push_back(&part);
  part.dirty = true;
}

absl::StatusOr<bool> Applier::Flush() {
  std::vector<PartitionState*> parts = std::move(moved_);
  moved_.clear();
  for (PartitionState* part : parts)
    ProjectionBatch(*store_, &wb_, Family::kConsumed)
        .Put(PositionKey(part->topic, part->partition), part->pos.SerializeAsString());
  // Each key is written once, with its final value, however often the batch rewrote it (a busy
  // aggregate's row is rewritten per event): that spares the memtable.
  const bool written = !wb_.empty();
  if (auto s = store_->Write(wb_); !s.ok()) {
    committed_.clear();
    // What was applied in memory is gone: every partition goes back to its stored position.
    for (PartitionState* part : parts) {
      auto stored = StoredPosition(part->topic, part->partition);
      part->pos = stored.ok() ? *stored : v1::ConsumerPosition();
      part->dirty = false;
    }
    return s;
  }
  const absl::Time applied_at = options_.clock->Now();
  for (const auto& [source, committed] : committed_) propagation_.Observe(source, applied_at - committed);
  committed_.clear();
  for (PartitionState* part : parts) part->dirty = false;
  return written;
}

absl::StatusOr<v1::ListParkedResponse> Applier::ListParked(const eventstore::Store& store, int page_size,
                                                           const std::string& page_token) {
  if (page_size < 0) return absl::InvalidArgumentError("page_size must not be negative");
  if (page_size == 0) page_size = 100;
  page_size = std::min(page_size, 1000);
  std::string start = kParkPrefix;
  if (!page_token.empty()) {
    std::string raw;
    if (!absl::WebSafeBase64Unescape(common::Sv(page_token), &raw) || raw.rfind(kParkPrefix, 0) != 0)
      return absl::InvalidArgumentError("page_token is not one this consumer issued");
    start = raw;
    start.push_back('\0');  // strictly after the last key returned
  }
  v1::ListParkedResponse out;
  std::string last;
  absl::Status bad;
  ASSIGN_OR_RETURN(auto n,
                   store.Scan(Family::kConsumed, kParkPrefix, start, [&](std::string_view key, std::string_view value) {
                     if (out.parked_size() == page_size) {
                       out.set_next_page_token(absl::WebSafeBase64Escape(common::Sv(last)));
                       return false;
                     }
                     v1::ParkedEvent* p = out.add_parked();
                     if (!p->ParseFromArray(value.data(), static_cast<int>(value.size())))
                       bad = absl::DataLossError(absl::StrCat("parked record ", common::Sv(key), " does not parse"));
                     p->clear_value();
                     last = std::string(key);
                     return bad.ok();
                   }));
  (void)n;
  RETURN_IF_ERROR(bad);
  return out;
}

}  // namespace yilian::bus
