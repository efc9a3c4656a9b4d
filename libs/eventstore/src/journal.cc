#include "yilian/eventstore/journal.h"

#include <pthread.h>

#include <future>

#include "absl/base/internal/raw_logging.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/time_util.h"
#include "src/keys.h"
#include "yilian/common/logging.h"
#include "yilian/common/problem.h"
#include "yilian/common/sha256.h"
#include "yilian/common/strings.h"
#include "yilian/common/uuid.h"
#include "yilian/storage/v1/storage.pb.h"

namespace yilian::eventstore {

using google::protobuf::util::TimeUtil;

// What earlier appends of the batch being built have changed but not yet written.
struct Journal::Overlay {
  absl::flat_hash_map<std::string, int64_t> versions;
  absl::flat_hash_map<std::string, storage::v1::IdempotencyRecord> idempotency;
};

std::string RequestFingerprint(const google::protobuf::Message& command) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream out(&raw);
    out.SetSerializationDeterministic(true);
    command.SerializeToCodedStream(&out);
  }
  return common::Sha256(absl::StrCat(command.GetTypeName(), absl::string_view("\0", 1), bytes));
}

absl::StatusOr<events::v1::Envelope> ParseEnvelope(std::string_view bytes) {
  events::v1::Envelope env;
  if (!env.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return absl::DataLossError("stored envelope does not parse");
  return env;
}

absl::StatusOr<std::unique_ptr<Journal>> Journal::Open(Store* store, JournalOptions options) {
  if (options.source_service.empty()) return absl::InvalidArgumentError("journal needs a source_service name");
  if (options.max_batch == 0) options.max_batch = 1;
  std::unique_ptr<Journal> j(new Journal(store, std::move(options)));
  auto head = store->Get(Family::kMeta, keys::kHead);
  if (!head.ok()) return head.status();
  if (*head) {
    if ((*head)->size() != 8 + keys::kHashSize) return absl::DataLossError("journal head record is malformed");
    j->head_.sequence = static_cast<int64_t>(DecodeU64(**head));
    j->head_.hash = (*head)->substr(8);
  }
  // The head and the entries are written in one batch, so the last entry must be the head.
  std::unique_ptr<rocksdb::Iterator> it(store->db()->NewIterator(rocksdb::ReadOptions(), store->cf(Family::kJournal)));
  it->SeekToLast();
  const int64_t last = it->Valid() ? static_cast<int64_t>(DecodeU64(it->key().ToStringView())) : 0;
  if (last != j->head_.sequence)
    return absl::DataLossError(absl::StrCat("journal of ", j->options_.source_service, " ends at ", last,
                                            " but its head record says ", j->head_.sequence));
  auto rebuilding = store->Get(Family::kMeta, keys::kRebuilding);
  if (!rebuilding.ok()) return rebuilding.status();
  if (*rebuilding) {
    common::Logger().warn("journal {}: a projection rebuild was interrupted; rebuilding again",
                          j->options_.source_service);
    if (auto s = j->RebuildProjections(); !s.ok()) return s;
  }
  j->completer_ = std::thread([p = j.get()] {
    pthread_setname_np(pthread_self(), "yl-journal-done");
    p->CompleterLoop();
  });
  j->writer_ = std::thread([p = j.get()] {
    pthread_setname_np(pthread_self(), "yl-journal");
    p->WriterLoop();
  });
  return j;
}

Journal::~Journal() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  head_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  {
    std::lock_guard<std::mutex> lock(done_mu_);
    done_stopping_ = true;
  }
  done_cv_.notify_all();
  if (completer_.joinable()) completer_.join();
}

void Journal::CompleterLoop() {
  for (;;) {
    Completion batch;
    {
      std::unique_lock<std::mutex> lock(done_mu_);
      done_cv_.wait(lock, [&] { return done_stopping_ || !done_queue_.empty(); });
      if (done_queue_.empty()) return;  // stopping and drained
      batch = std::move(done_queue_.front());
      done_queue_.pop_front();
    }
    for (auto& [done, result] : batch) std::move(done)(std::move(result));
  }
}

void Journal::AppendAsync(AppendRequest request, AppendCallback done) {
  Pending p;
  p.request = std::move(request);
  p.done = std::move(done);
  Enqueue(std::move(p));
}

void Journal::Enqueue(Pending p) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(p));
      if (queue_.size() == 1) cv_.notify_one();
      return;
    }
  }
  std::move(p.done)(absl::UnavailableError("journal is shutting down"));
}

void Journal::AppendTransactionAsync(std::vector<AppendRequest> requests, TransactionCallback done) {
  if (requests.empty()) {
    std::move(done)(absl::InvalidArgumentError("a transaction needs at least one append"));
    return;
  }
  Pending p;
  p.request = std::move(requests.front());
  p.more.assign(std::make_move_iterator(requests.begin() + 1), std::make_move_iterator(requests.end()));
  p.extras = std::make_shared<std::vector<AppendResult>>();
  p.done = [extras = p.extras, done = std::move(done)](absl::StatusOr<AppendResult> first) mutable {
    if (!first.ok()) return std::move(done)(first.status());
    std::vector<AppendResult> all{std::move(*first)};
    for (auto& r : *extras) all.push_back(std::move(r));
    std::move(done)(std::move(all));
  };
  Enqueue(std::move(p));
}

absl::StatusOr<std::vector<AppendResult>> Journal::AppendTransaction(std::vector<AppendRequest> requests) {
  std::promise<absl::StatusOr<std::vector<AppendResult>>> promise;
  auto future = promise.get_future();
  AppendTransactionAsync(std::move(requests),
                         [&promise](absl::StatusOr<std::vector<AppendResult>> r) { promise.set_value(std::move(r)); });
  return future.get();
}

absl::StatusOr<AppendResult> Journal::Append(AppendRequest request) {
  std::promise<absl::StatusOr<AppendResult>> promise;
  auto future = promise.get_future();
  AppendAsync(std::move(request), [&promise](absl::StatusOr<AppendResult> r) { promise.set_value(std::move(r)); });
  return future.get();
}

Head Journal::head() const {
  std::lock_guard<std::mutex> lock(mu_);
  return head_;
}

int64_t Journal::WaitForHead(int64_t after, absl::Duration timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  head_cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] { return stopping_ || head_.sequence > after; });
  return head_.sequence;
}

absl::StatusOr<int64_t> Journal::AggregateVersion(std::string_view type, std::string_view id) const {
  auto v = store_->Get(Family::kAggregates, keys::Aggregate(type, id));
  if (!v.ok()) return v.status();
  return *v ? static_cast<int64_t>(DecodeU64(**v)) : 0;
}

void Journal::WriterLoop() {
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    CommitBatch(batch);
    batch.clear();
  }
}

void Journal::CommitBatch(std::vector<Pending>& batch) {
  std::lock_guard<std::mutex> writer_lock(writer_mu_);
  StagedWrites& wb = staged_;  // empty: each batch clears it when written
  ABSL_RAW_CHECK(wb.empty(), "journal: the previous batch was left staged");
  Overlay overlay;
  const Head committed = this->head();
  Head head = committed;
  std::vector<absl::StatusOr<AppendResult>> results;
  results.reserve(batch.size());
  for (auto& p : batch) {
    wb.SetSavePoint();
    Head before = head;
    std::optional<Overlay> saved;  // a transaction may fail after staging some of its parts
    if (!p.more.empty()) saved = overlay;
    auto r = Stage(p.request, wb, overlay, head);
    std::vector<AppendResult> extras;
    for (auto& more : p.more) {
      if (!r.ok() || r->duplicate) break;  // a retried transaction is answered by its first part
      auto m = Stage(more, wb, overlay, head);
      if (!m.ok())
        r = m.status();
      else
        extras.push_back(std::move(*m));
    }
    if (r.ok()) {
      wb.PopSavePoint();
      if (p.extras) *p.extras = std::move(extras);
    } else {
      wb.RollbackToSavePoint();
      head = std::move(before);
      if (saved) overlay = std::move(*saved);
    }
    results.push_back(std::move(r));
  }
  if (head.sequence != committed.sequence || !wb.empty()) {
    wb.raw().Put(store_->cf(Family::kMeta), keys::kHead, EncodeU64(static_cast<uint64_t>(head.sequence)) + head.hash);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    auto s = store_->db()->Write(wo, wb.Seal());
    if (!s.ok()) {
      absl::Status err = FromRocks(s, "writing the journal");
      common::Logger().error("journal {}: batch of {} appends failed: {}", options_.source_service, batch.size(),
                             err.ToString());
      for (auto& r : results)
        if (r.ok()) r = err;
      head = committed;
    }
  }
  wb.Clear();
  bool advanced;
  {
    std::lock_guard<std::mutex> lock(mu_);
    advanced = head.sequence != head_.sequence;
    head_ = head;
  }
  if (advanced) head_cv_.notify_all();
  Completion completion;
  completion.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) completion.emplace_back(std::move(batch[i].done), std::move(results[i]));
  {
    std::lock_guard<std::mutex> lock(done_mu_);
    done_queue_.push_back(std::move(completion));
  }
  done_cv_.notify_one();
}

namespace {

// The answer a retried request gets from its idempotency record, or ALREADY_EXISTS when
// the key was used for another request.
absl::StatusOr<AppendResult> ReplayRecord(const storage::v1::IdempotencyRecord& rec, const std::string& key,
                                          const std::string& request_hash) {
  if (rec.request_hash() != request_hash)
    return absl::AlreadyExistsError(
        absl::StrCat("idempotency key \"", key, "\" was already used for a different request on ", rec.aggregate_type(),
                     " ", rec.aggregate_id(), "; use a new key for a new request"));
  AppendResult r;
  r.first_sequence = rec.first_sequence();
  r.last_sequence = rec.last_sequence();
  r.aggregate_version = rec.aggregate_version();
  r.response = rec.response();
  r.duplicate = true;
  return r;
}

}  // namespace

absl::StatusOr<std::optional<AppendResult>> Journal::FindIdempotent(const std::string& key,
                                                                    const std::string& request_hash) const {
  auto v = store_->Get(Family::kIdempotency, key);
  if (!v.ok()) return v.status();
  if (!*v) return std::optional<AppendResult>();
  storage::v1::IdempotencyRecord rec;
  if (!rec.ParseFromString(**v)) return absl::DataLossError("idempotency record does not parse");
  auto r = ReplayRecord(rec, key, request_hash);
  if (!r.ok()) return r.status();
  return std::optional<AppendResult>(std::move(*r));
}

absl::StatusOr<AppendResult> Journal::Stage(AppendRequest& req, StagedWrites& wb, Overlay& overlay, Head& head) {
  if (req.aggregate_type.empty() || req.aggregate_id.empty())
    return absl::InvalidArgumentError("append needs an aggregate type and id");
  if (req.aggregate_type.find('\0') != std::string::npos || req.aggregate_id.find('\0') != std::string::npos)
    return absl::InvalidArgumentError("aggregate type and id may not contain NUL");
  if (req.events.empty()) return absl::InvalidArgumentError("append needs at least one event");
  if (!req.idempotency_key.empty() && req.request_hash.empty())
    return absl::InvalidArgumentError("an idempotency key needs a request_hash (RequestFingerprint)");

  if (!req.idempotency_key.empty()) {
    storage::v1::IdempotencyRecord rec;
    bool found = false;
    if (auto it = overlay.idempotency.find(req.idempotency_key); it != overlay.idempotency.end()) {
      rec = it->second;
      found = true;
    } else {
      auto v = store_->Get(Family::kIdempotency, req.idempotency_key);
      if (!v.ok()) return v.status();
      if (*v) {
        if (!rec.ParseFromString(**v)) return absl::DataLossError("idempotency record does not parse");
        found = true;
      }
    }
    if (found) return ReplayRecord(rec, req.idempotency_key, req.request_hash);
  }

  const std::string agg_key = keys::Aggregate(req.aggregate_type, req.aggregate_id);
  int64_t current = 0;
  if (auto it = overlay.versions.find(agg_key); it != overlay.versions.end()) {
    current = it->second;
  } else {
    auto v = AggregateVersion(req.aggregate_type, req.aggregate_id);
    if (!v.ok()) return v.status();
    current = *v;
  }
  if (req.expected_version != kAnyVersion && req.expected_version != current)
    return common::VersionConflict(
        current,
        absl::AbortedError(absl::StrCat(req.aggregate_type, " ", req.aggregate_id, " is at version ", current,
                                        ", not the expected ", req.expected_version, ": reload it and decide again")));

  const auto now = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(options_.clock->Now()));
  AppendResult result;
  result.first_sequence = head.sequence + 1;
  int64_t version = current;
  ProjectionBatch rows(*store_, &wb, Family::kProjection);
  for (auto& env : req.events) {
    ++version;
    const int64_t seq = head.sequence + 1;
    if (env.event_id().empty()) env.set_event_id(common::NewUuidAt(options_.clock->Now()));
    env.set_source_service(options_.source_service);
    env.set_source_sequence(seq);
    env.set_aggregate_type(req.aggregate_type);
    env.set_aggregate_id(req.aggregate_id);
    env.set_aggregate_version(version);
    *env.mutable_recorded_at() = now;
    if (!env.has_occurred_at()) *env.mutable_occurred_at() = now;
    *env.mutable_actor() = req.actor.ToProto();
    env.set_correlation_id(req.correlation_id);
    env.set_causation_id(req.causation_id);
    env.set_idempotency_key(req.idempotency_key);
    env.set_previous_hash(head.hash);
    std::string bytes = env.SerializeAsString();
    if (options_.max_event_bytes > 0 && bytes.size() > options_.max_event_bytes)
      return absl::InvalidArgumentError(absl::StrCat("event ", env.event_type(), " would be ", bytes.size(),
                                                     " bytes stored; this journal takes at most ",
                                                     options_.max_event_bytes, ": a field of the command is too long"));
    std::string hash = common::Sha256(bytes);
    const std::string seq_key = EncodeU64(static_cast<uint64_t>(seq));
    wb.raw().Put(store_->cf(Family::kJournal), seq_key, hash + bytes);
    wb.raw().Put(store_->cf(Family::kStreams), keys::Stream(req.aggregate_type, req.aggregate_id, version), seq_key);
    if (options_.projector) {
      absl::Status s = options_.projector->Apply(env, rows);
      if (!s.ok()) return s;
    }
    head.sequence = seq;
    head.hash = std::move(hash);
  }
  // A row, not a raw write: an aggregate appended to many times in one batch (the audit's archive
  // of one source) is then written once, at its last version.
  wb.Put(store_->cf(Family::kAggregates), agg_key, EncodeU64(static_cast<uint64_t>(version)));
  overlay.versions[agg_key] = version;
  result.last_sequence = head.sequence;
  result.aggregate_version = version;
  result.response = req.response;
  if (!req.idempotency_key.empty()) {
    storage::v1::IdempotencyRecord rec;
    rec.set_request_hash(req.request_hash);
    rec.set_response(req.response);
    rec.set_first_sequence(result.first_sequence);
    rec.set_last_sequence(result.last_sequence);
    rec.set_aggregate_version(version);
    rec.set_aggregate_type(req.aggregate_type);
    rec.set_aggregate_id(req.aggregate_id);
    wb.raw().Put(store_->cf(Family::kIdempotency), req.idempotency_key, rec.SerializeAsString());
    overlay.idempotency[req.idempotency_key] = std::move(rec);
  }
  return result;
}

}  // namespace yilian::eventstore
