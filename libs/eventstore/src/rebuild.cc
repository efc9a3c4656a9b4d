// Journal::RebuildProjections: the projection family emptied and folded again from the whole
// journal. Three threads share the work: one reads the journal a batch of entries at a time,
// the caller's thread parses and folds them into a RowOverlay, and the overlay writes each
// chunk of rows behind the fold.
#include <sys/resource.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "src/block_buffers.h"
#include "src/keys.h"
#include "yilian/common/logging.h"
#include "yilian/eventstore/journal.h"

namespace yilian::eventstore {
namespace {

// Raw journal entries, copied into one buffer that keeps its capacity from batch to batch: the
// reader allocates nothing once warmed up. (Parsing here would allocate every string of every
// envelope; on glibc's malloc capped at two arenas (memory.malloc_arenas) the fold thread then
// queued on the arena lock it shared with the reader, and a rebuild took anywhere from 5 to 9 s.)
struct Batch {
  struct Entry {
    int64_t sequence;
    size_t offset, size;
  };
  void Reset() {
    bytes.clear();
    entries.clear();
  }
  std::string_view envelope(const Entry& e) const { return std::string_view(bytes).substr(e.offset, e.size); }
  std::string bytes;
  std::vector<Entry> entries;
};

// Journal entries read on a thread of their own, in order, a batch at a time; the fold hands
// each batch back to be reused.
class EntryFeed {
 public:
  explicit EntryFeed(const Journal& journal) : reader_([this, &journal] { ReadAll(journal); }) {}
  ~EntryFeed() {
    Stop();
    reader_.join();
  }
  // The next batch; nullptr at the end (then status() tells whether the read failed).
  Batch* Next() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !full_.empty() || ended_; });
    if (full_.empty()) return nullptr;
    Batch* b = full_.front();
    full_.pop_front();
    return b;
  }
  void Recycle(Batch* b) {
    b->Reset();
    std::lock_guard lock(mu_);
    free_.push_back(b);
    cv_.notify_all();
  }
  void Stop() {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  absl::Status status() {
    std::lock_guard lock(mu_);
    return status_;
  }

 private:
  static constexpr size_t kBatch = 512;
  static constexpr size_t kBatches = 4;

  Batch* Empty() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !free_.empty() || stopping_; });
    if (stopping_) return nullptr;
    Batch* b = free_.back();
    free_.pop_back();
    return b;
  }
  void Publish(Batch* b) {
    std::lock_guard lock(mu_);
    full_.push_back(b);
    cv_.notify_all();
  }

  void ReadAll(const Journal& journal) {
    BlockBuffers::Pooled pooled;  // the block buffers the read frees serve its next blocks
    Batch* b = Empty();
    auto n = b == nullptr ? absl::StatusOr<int64_t>(0)
                          : journal.Read(
                                1, 0,
                                [&](const JournalEntry& e) {
                                  b->entries.push_back({e.sequence, b->bytes.size(), e.envelope.size()});
                                  b->bytes.append(e.envelope);
                                  if (b->entries.size() < kBatch) return true;
                                  Publish(b);
                                  b = Empty();
                                  return b != nullptr;
                                },
                                /*fill_cache=*/false);
    if (b != nullptr && !b->entries.empty()) Publish(b);
    std::lock_guard lock(mu_);
    status_ = n.status();
    ended_ = true;
    cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Batch> batches_ = std::vector<Batch>(kBatches);
  std::vector<Batch*> free_ = [this] {
    std::vector<Batch*> all;
    for (auto& b : batches_) all.push_back(&b);
    return all;
  }();
  std::deque<Batch*> full_;
  bool stopping_ = false, ended_ = false;
  absl::Status status_;
  std::thread reader_;  // last: it starts once the rest is built
};

// The calling thread's CPU time and context switches: voluntary ones are waits (a lock, a
// condition, a page from disk), involuntary ones are the scheduler giving the core away.
struct ThreadUsage {
  static ThreadUsage Now() {
    rusage u{};
    getrusage(RUSAGE_THREAD, &u);
    const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return {seconds(u.ru_utime) + seconds(u.ru_stime), u.ru_nvcsw, u.ru_nivcsw};
  }
  double cpu_seconds;
  long voluntary, involuntary;
};

}  // namespace

absl::Status Journal::RebuildProjections() {
  if (!options_.projector) return absl::FailedPreconditionError("this journal has no projector to rebuild");
  std::lock_guard<std::mutex> writer_lock(writer_mu_);
  const absl::Time started = absl::Now();
  const ThreadUsage usage_at_start = ThreadUsage::Now();
  absl::Duration waited_for_reader, waited_for_writes;
  // A marker survives a crash mid-rebuild, so Open() knows to finish the job.
  rocksdb::WriteOptions sync;
  sync.sync = true;
  if (auto st =
          FromRocks(store_->db()->Put(sync, store_->cf(Family::kMeta), keys::kRebuilding, "1"), "marking rebuild");
      !st.ok())
    return st;
  auto s = store_->Reset(Family::kProjection);
  if (!s.ok()) return s;
  // Events are folded into an in-memory overlay and written a chunk at a time, each row once
  // per chunk, without the WAL (the flush below makes them durable).
  constexpr int kChunk = 32768;
  RowOverlay overlay(3 * head().sequence);  // an estimate: the referral projector puts about 3 distinct keys per event
  int pending = 0;
  int64_t folded = 0;
  absl::Status failure;
  events::v1::Envelope env;  // reused: its strings keep their capacity
  {
    EntryFeed feed(*this);
    while (failure.ok()) {
      const absl::Time asked = absl::Now();
      Batch* batch = feed.Next();
      waited_for_reader += absl::Now() - asked;
      if (batch == nullptr) {
        failure = feed.status();
        break;
      }
      for (const Batch::Entry& e : batch->entries) {
        const std::string_view bytes = batch->envelope(e);
        if (!env.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
          failure = absl::DataLossError(absl::StrCat("journal entry ", e.sequence, " does not parse"));
          break;
        }
        ProjectionBatch rows(*store_, &overlay, Family::kProjection);
        if (auto st = options_.projector->Apply(env, rows); !st.ok()) {
          failure = absl::InternalError(
              absl::StrCat("projector refused journal entry ", e.sequence, " during rebuild: ", st.message()));
          break;
        }
        ++folded;
        if (++pending == kChunk) {
          pending = 0;
          const absl::Time asked = absl::Now();
          failure = overlay.WriteBehind(store_->db(), store_->cf(Family::kProjection));
          waited_for_writes += absl::Now() - asked;
          if (!failure.ok()) break;
        }
      }
      feed.Recycle(batch);
    }
  }  // the reader is stopped and joined
  if (!failure.ok()) return failure;
  if (pending > 0)
    if (auto st = overlay.WriteBehind(store_->db(), store_->cf(Family::kProjection)); !st.ok()) return st;
  if (auto st = overlay.Finish(); !st.ok()) return st;
  rocksdb::FlushOptions fo;
  fo.wait = true;
  if (auto st = FromRocks(store_->db()->Flush(fo, store_->cf(Family::kProjection)), "flushing rebuilt projection");
      !st.ok())
    return st;
  if (auto st =
          FromRocks(store_->db()->Delete(sync, store_->cf(Family::kMeta), keys::kRebuilding), "clearing rebuild mark");
      !st.ok())
    return st;
  // Where the fold thread waited: a reader or a write behind it that cannot keep up shows here.
  const ThreadUsage usage = ThreadUsage::Now();
  common::Logger().info(
      "journal {}: rebuilt projections from {} events in {:.2f} s (the fold thread ran {:.2f} s of "
      "it; it waited {:.2f} s for the reader, {:.2f} s for chunk writes; {} voluntary and {} "
      "involuntary context switches)",
      options_.source_service, folded, absl::ToDoubleSeconds(absl::Now() - started),
      usage.cpu_seconds - usage_at_start.cpu_seconds, absl::ToDoubleSeconds(waited_for_reader),
      absl::ToDoubleSeconds(waited_for_writes), usage.voluntary - usage_at_start.voluntary,
      usage.involuntary - usage_at_start.involuntary);
  return absl::OkStatus();
}

}  // namespace yilian::eventstore
