#include "archiver.h"

#include <pthread.h>

#include <future>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "archive_model.h"
#include "yilian/common/logging.h"
#include "yilian/common/sha256.h"
#include "yilian/common/status_macros.h"

namespace yilian::audit {

using eventstore::Family;

namespace {

constexpr char kInbox[] = "audit/inbox";
constexpr size_t kChunk = 1024;

eventstore::AppendRequest ArchiveAppend(const ArchiveRequest& r, const events::v1::Envelope& env) {
  av1::ArchivedEvent a;
  a.set_envelope(r.bytes);
  a.set_source_service(env.source_service());
  a.set_source_sequence(env.source_sequence());
  a.set_from_feed(r.from_feed);
  a.set_correction(r.correction);
  eventstore::AppendRequest req;
  req.aggregate_type = kArchive;
  req.aggregate_id = env.source_service();
  const std::string hash = common::Sha256(r.bytes);
  req.idempotency_key = absl::StrCat(env.source_service(), "/", env.source_sequence());
  if (r.correction) absl::StrAppend(&req.idempotency_key, "/correction/", absl::BytesToHexString(hash));
  req.request_hash = hash;
  req.actor = {"audit", "", common::Role::ROLE_SERVICE};
  req.correlation_id = env.correlation_id();
  req.causation_id = env.event_id();
  events::v1::Envelope out;
  out.set_event_type(a.GetDescriptor()->full_name());
  out.set_schema_version(1);
  out.mutable_payload()->PackFrom(a);
  *out.mutable_occurred_at() = env.recorded_at();
  req.events.push_back(std::move(out));
  return req;
}

}  // namespace

ArchiveProjector::ArchiveProjector()
    : bus::InboxProjector(kInbox, nullptr, [](const events::v1::Envelope&) -> absl::StatusOr<bool> { return true; }) {}

Archiver::Archiver(eventstore::Store* store, eventstore::Journal* journal, bool run_thread)
    : store_(store), journal_(journal) {
  if (run_thread) thread_ = std::thread([this] { Loop(); });
}

Archiver::~Archiver() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Archiver::Notify() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  cv_.notify_all();
}

int64_t Archiver::Pending() const {
  auto n = store_->Scan(Family::kConsumed, std::string(kInbox) + "/", "",
                        [](std::string_view, std::string_view) { return true; });
  return n.ok() ? *n : -1;
}

absl::Status Archiver::Archive(std::vector<ArchiveRequest> entries) {
  std::vector<std::future<absl::Status>> done;
  done.reserve(entries.size());
  for (auto& r : entries) {
    auto env = eventstore::ParseEnvelope(r.bytes);
    if (!env.ok()) {  // what the consumer passed was checked; keep it anyway, as bytes
      common::Logger().error("audit: an entry that does not parse: {}", env.status().ToString());
      continue;
    }
    auto promise = std::make_shared<std::promise<absl::Status>>();
    done.push_back(promise->get_future());
    auto req = ArchiveAppend(r, *env);
    journal_->AppendAsync(std::move(req), [this, promise, r, env = *env](absl::StatusOr<eventstore::AppendResult> res) mutable {
      if (absl::IsAlreadyExists(res.status())) {
        // The same source entry with other bytes: archive this copy too, under its own key.
        auto copy = ArchiveAppend(r, env);
        absl::StrAppend(&copy.idempotency_key, "/copy/", absl::BytesToHexString(copy.request_hash));
        common::Logger().warn("audit: {} #{} arrived again with different bytes; archived as another copy",
                              env.source_service(), env.source_sequence());
        journal_->AppendAsync(std::move(copy), [promise](absl::StatusOr<eventstore::AppendResult> again) {
          promise->set_value(again.status());
        });
        return;
      }
      promise->set_value(res.status());
    });
  }
  absl::Status first;
  for (auto& f : done) first.Update(f.get());
  return first;
}

void Archiver::Loop() {
  pthread_setname_np(pthread_self(), "yl-archiver");
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_ || poked_; });
      if (stop_) return;
      poked_ = false;
    }
    std::vector<std::string> keys;
    std::vector<ArchiveRequest> entries;
    // From just past the last item archived: inbox keys only grow, and starting at the prefix
    // would walk every deleted item's tombstone again on each pass (it was 10 % of the CPU of
    // a loaded platform, in RocksDB's memtable iterator).
    auto scanned = store_->Scan(Family::kConsumed, std::string(kInbox) + "/", resume_,
                                [&](std::string_view k, std::string_view v) {
                                  keys.emplace_back(k);
                                  entries.push_back({std::string(v)});
                                  return keys.size() < kChunk;
                                });
    if (!scanned.ok()) common::Logger().error("audit archiver: {}", scanned.status().ToString());
    if (keys.empty()) continue;
    if (auto s = Archive(std::move(entries)); !s.ok()) {
      common::Logger().warn("audit archiver: {} (will retry)", s.ToString());
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stop_; });
      poked_ = true;
      continue;
    }
    rocksdb::WriteBatch del;
    for (const auto& k : keys) del.Delete(store_->cf(Family::kConsumed), k);
    if (auto d = store_->db()->Write(rocksdb::WriteOptions(), &del); !d.ok())
      common::Logger().error("audit archiver: deleting archived inbox items: {}", d.ToString());
    resume_ = keys.back() + std::string(1, '\0');
    if (keys.size() == kChunk) {
      std::lock_guard lock(mu_);
      poked_ = true;
    }
  }
}

}  // namespace yilian::audit
