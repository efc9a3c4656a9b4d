#pragma once
// Journal: a service's immutable event log on RocksDB, and its write path.
//
// Append() puts a command's events, the aggregate's new version, the idempotency record
// and the projector's rows into ONE WriteBatch written with sync=true, then answers. A
// single writer thread drains all queued appends into one batch and one fsync (group
// commit), so throughput grows with concurrency while each caller still waits for
// durability.
//
// Each entry is stored as SHA-256(envelope) + envelope bytes; each envelope carries the
// previous entry's hash, forming a per-service hash chain that Verify() walks.
//
// Thread-safe. Borrows the Store and the Projector; both must outlive the Journal.

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "yilian/common/clock.h"
#include "yilian/common/principal.h"
#include "yilian/events/v1/envelope.pb.h"
#include "yilian/eventstore/projection.h"
#include "yilian/eventstore/store.h"

namespace yilian::eventstore {

inline constexpr int64_t kAnyVersion = -1;  // append whatever the current version is
inline constexpr int64_t kNoStream = 0;     // the aggregate must not exist yet

struct AppendRequest {
  std::string aggregate_type;
  std::string aggregate_id;
  int64_t expected_version = kAnyVersion;  // else ABORTED naming the current version
  // Optional. Same key and same request_hash -> the first result again, nothing written;
  // same key and another request_hash -> ALREADY_EXISTS. Callers scope keys (for example
  // by principal) so two callers cannot collide.
  std::string idempotency_key;
  std::string request_hash;  // required with a key: use RequestFingerprint(command)
  std::string response;      // opaque reply kept for idempotent retries
  common::Principal actor;
  std::string correlation_id;
  std::string causation_id;
  // The events, with event_type, schema_version, payload, occurred_at and index fields
  // (patient, institution_ids) set. The journal fills in event_id (if empty), source,
  // sequence, aggregate fields, recorded_at, actor, correlation, causation,
  // idempotency key and previous_hash.
  std::vector<events::v1::Envelope> events;
};

struct AppendResult {
  int64_t first_sequence = 0;
  int64_t last_sequence = 0;
  int64_t aggregate_version = 0;  // after the append
  std::string response;           // the request's response (the first one, on a retry)
  bool duplicate = false;         // true if answered from the idempotency record
};

// One stored entry. `envelope` is the exact stored bytes; hash = SHA-256(envelope).
struct JournalEntry {
  int64_t sequence = 0;
  std::string_view hash;
  std::string_view envelope;
};

struct Head {
  int64_t sequence = 0;  // 0 when empty
  std::string hash;      // hash of the entry at `sequence`; empty when empty
};

struct VerifyResult {
  bool intact = true;
  int64_t checked = 0;       // entries checked
  Head head;                 // last entry checked and its hash
  int64_t bad_sequence = 0;  // first inconsistent entry when !intact
  std::string problem;       // what is wrong with it
};

struct JournalOptions {
  std::string source_service;      // required, e.g. "referral"
  Projector* projector = nullptr;  // the service's own projection; may be null
  common::Clock* clock = &common::Clock::Real();
  size_t max_batch = 1024;  // appends per group commit
  // The largest stored event (the envelope as serialized) an append may add; 0: no limit. A
  // service whose journal goes to Kafka keeps it well under the producer's and the topic's
  // message.max.bytes, so no entry can be refused there.
  size_t max_event_bytes = 0;
};

class Journal {
 public:
  static absl::StatusOr<std::unique_ptr<Journal>> Open(Store* store, JournalOptions options);
  // Finishes queued appends, then stops the writer.
  ~Journal();

  using AppendCallback = absl::AnyInvocable<void(absl::StatusOr<AppendResult>) &&>;
  // Queues an append; `done` runs on the journal's completion thread once the batch is
  // durable (or has failed), in append order. Keep `done` short: it delays other answers.
  void AppendAsync(AppendRequest request, AppendCallback done);
  // Blocks until durable. Errors: INVALID_ARGUMENT (malformed request, or an event larger than
  // max_event_bytes), ABORTED (version
  // conflict), ALREADY_EXISTS (key reused for another request), the projector's error,
  // UNAVAILABLE (disk trouble or shutting down).
  absl::StatusOr<AppendResult> Append(AppendRequest request);

  // Appends to several aggregates atomically: every request is written in the same batch,
  // or none is (the first error is returned; each request keeps its own expected_version).
  // Results come in request order. An idempotency key belongs to the first request: a retry
  // is answered with that request's first result only (duplicate=true).
  using TransactionCallback = absl::AnyInvocable<void(absl::StatusOr<std::vector<AppendResult>>) &&>;
  void AppendTransactionAsync(std::vector<AppendRequest> requests, TransactionCallback done);
  absl::StatusOr<std::vector<AppendResult>> AppendTransaction(std::vector<AppendRequest> requests);

  Head head() const;
  // A request already answered under `idempotency_key`: its first result (duplicate=true),
  // nullopt if the key is unused, ALREADY_EXISTS if it answered a different request. Lets a
  // service answer a retry before re-deciding against state that has moved on.
  absl::StatusOr<std::optional<AppendResult>> FindIdempotent(const std::string& idempotency_key,
                                                             const std::string& request_hash) const;
  // Blocks until the head sequence is past `after` (or `timeout` passes, or the journal
  // stops) and returns the head sequence then. Lets a relay follow appends without polling.
  int64_t WaitForHead(int64_t after, absl::Duration timeout) const;
  const std::string& source_service() const { return options_.source_service; }
  // Current version of an aggregate; 0 if it has no events.
  absl::StatusOr<int64_t> AggregateVersion(std::string_view type, std::string_view id) const;

  // Visits entries from `from_sequence` in order until `fn` returns false or `max` (0 =
  // unlimited) entries were visited. Returns the number visited. `fill_cache` false for a
  // one-off pass over the whole history (a rebuild): its blocks then skip the block cache,
  // where they would only evict the rows the service reads.
  absl::StatusOr<int64_t> Read(int64_t from_sequence, int64_t max, absl::FunctionRef<bool(const JournalEntry&)> fn,
                               bool fill_cache = true) const;
  // Point reads by sequence through one RocksDB iterator, for a caller that reads many single
  // entries (an index walk): a Read of one entry makes an iterator of its own, most of its cost.
  // Sees the journal as it was when made. Not thread-safe; the Journal must outlive it.
  class Cursor {
   public:
    // `fn` gets the entry at `sequence` (valid during the call); NOT_FOUND when there is none.
    absl::Status At(int64_t sequence, absl::FunctionRef<void(const JournalEntry&)> fn);

   private:
    friend class Journal;
    explicit Cursor(std::unique_ptr<rocksdb::Iterator> it) : it_(std::move(it)) {}
    std::unique_ptr<rocksdb::Iterator> it_;
  };
  Cursor NewCursor() const;
  // One aggregate's entries from `from_version` in order.
  absl::StatusOr<int64_t> ReadAggregate(std::string_view type, std::string_view id, int64_t from_version,
                                        absl::FunctionRef<bool(const JournalEntry&)> fn) const;
  // Walks the chain over [from, to] (to = 0: the head) and reports the first bad entry.
  absl::StatusOr<VerifyResult> Verify(int64_t from_sequence = 1, int64_t to_sequence = 0) const;

  // Empties the projection family and replays the whole journal through the projector.
  // Appends wait meanwhile; the caller must keep readers off the projection family until
  // it returns (run it at start-up or in maintenance, as services do).
  absl::Status RebuildProjections();

 private:
  struct Pending {
    AppendRequest request;
    AppendCallback done;
    std::vector<AppendRequest> more;                    // the rest of a transaction
    std::shared_ptr<std::vector<AppendResult>> extras;  // their results, filled on success
  };
  struct Overlay;
  Journal(Store* store, JournalOptions options) : store_(store), options_(std::move(options)) {}
  void WriterLoop();
  void CompleterLoop();
  void CommitBatch(std::vector<Pending>& batch);
  void Enqueue(Pending p);
  absl::StatusOr<AppendResult> Stage(AppendRequest& req, StagedWrites& wb, Overlay& overlay, Head& head);

  Store* store_;
  JournalOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  mutable std::condition_variable head_cv_;  // head_ advanced (with mu_)
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  Head head_ ABSL_GUARDED_BY(mu_);  // written only by the writer thread
  std::mutex writer_mu_;            // held while a batch is built and written, and by rebuilds
  StagedWrites staged_;             // the batch being built (with writer_mu_); empty between batches
  std::thread writer_;
  // Answers run on a second thread so the writer can start the next fsync while the
  // callers of the previous batch are being woken (context switches are dear on VMs).
  using Completion = std::vector<std::pair<AppendCallback, absl::StatusOr<AppendResult>>>;
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  std::deque<Completion> done_queue_ ABSL_GUARDED_BY(done_mu_);
  bool done_stopping_ ABSL_GUARDED_BY(done_mu_) = false;
  std::thread completer_;
};

// A fingerprint of a command for AppendRequest::request_hash (deterministic serialization).
std::string RequestFingerprint(const google::protobuf::Message& command);
// Parses an entry's stored envelope bytes. DATA_LOSS if they do not parse.
absl::StatusOr<events::v1::Envelope> ParseEnvelope(std::string_view bytes);

}  // namespace yilian::eventstore
