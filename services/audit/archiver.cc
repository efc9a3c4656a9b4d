#include "archiver.h"

#include <future>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "archive_model.h"
#include "google/protobuf/empty.pb.h"
#include "yilian/common/logging.h"
#include "yilian/common/sha256.h"
#include "yilian/common/status_macros.h"

namespace yilian::audit {

namespace av1 = ::yilian::audit::v1;

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

// The archive's call for an append: the audit service itself, keyed by the source entry.
command::Call CallOf(const eventstore::AppendRequest& a) {
  command::Call call = command::ServiceCall("audit", a.correlation_id, a.causation_id);
  call.idempotency_key = a.idempotency_key;
  call.request_hash = a.request_hash;
  return call;
}

absl::StatusOr<command::Decision<google::protobuf::Empty>> Archived(eventstore::AppendRequest a) {
  command::Decision<google::protobuf::Empty> d;
  d.appends.push_back(std::move(a));
  return d;
}

}  // namespace

ArchiveProjector::ArchiveProjector()
    : bus::InboxProjector(kInbox, nullptr, [](const events::v1::Envelope&) -> absl::StatusOr<bool> { return true; }) {}

Archiver::Archiver(eventstore::Store* store, eventstore::Journal* journal, bool run_loop)
    : store_(store), runner_(journal, {.service = "audit"}), loop_({.name = "yl-archiver"}, [this] { return Pass(); }) {
  if (run_loop) loop_.Start();
}

int64_t Archiver::Pending() const {
  auto n = store_->Scan(Family::kConsumed, std::string(kInbox) + "/", "",
                        [](std::string_view, std::string_view) { return true; });
  return n.ok() ? *n : -1;
}

absl::Status Archiver::Archive(std::vector<ArchiveRequest> entries) {
  // Every answer arrives before this returns (it waits for them all), so the callbacks may
  // point into these vectors.
  std::vector<events::v1::Envelope> envs(entries.size());
  std::vector<std::promise<absl::Status>> done(entries.size());
  std::vector<std::future<absl::Status>> answers;
  answers.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    auto env = eventstore::ParseEnvelope(entries[i].bytes);
    if (!env.ok()) {  // the consumer checked every entry it queued: only a corrupt store gets here
      common::Logger().error("audit: an entry that does not parse: {}", env.status().ToString());
      continue;
    }
    envs[i] = *std::move(env);
    answers.push_back(done[i].get_future());
    const ArchiveRequest* r = &entries[i];
    const events::v1::Envelope* e = &envs[i];
    std::promise<absl::Status>* promise = &done[i];
    auto append = ArchiveAppend(*r, *e);
    // No state is read: the journal answers an entry archived before from its record.
    runner_.Run<google::protobuf::Empty>(
        CallOf(append), {}, [&] { return Archived(std::move(append)); },
        [this, r, e, promise](absl::StatusOr<google::protobuf::Empty> res) {
          if (!absl::IsAlreadyExists(res.status())) return promise->set_value(res.status());
          // The same source entry with other bytes: archive this copy too, under its own key.
          auto copy = ArchiveAppend(*r, *e);
          absl::StrAppend(&copy.idempotency_key, "/copy/", absl::BytesToHexString(copy.request_hash));
          common::Logger().warn("audit: {} #{} arrived again with different bytes; archived as another copy",
                                e->source_service(), e->source_sequence());
          runner_.Run<google::protobuf::Empty>(
              CallOf(copy), {}, [&] { return Archived(std::move(copy)); },
              [promise](absl::StatusOr<google::protobuf::Empty> again) { promise->set_value(again.status()); });
        });
  }
  absl::Status first;
  for (auto& f : answers) first.Update(f.get());
  return first;
}

bool Archiver::Pass() {
  std::vector<std::string> keys;
  std::vector<ArchiveRequest> entries;
  // From just past the last item archived: inbox keys only grow, and starting at the prefix
  // would walk every deleted item's tombstone again on each pass (it was 10 % of the CPU of
  // a loaded platform, in RocksDB's memtable iterator).
  auto scanned =
      store_->Scan(Family::kConsumed, std::string(kInbox) + "/", resume_, [&](std::string_view k, std::string_view v) {
        keys.emplace_back(k);
        entries.push_back({std::string(v)});
        return keys.size() < kChunk;
      });
  if (!scanned.ok()) common::Logger().error("audit archiver: {}", scanned.status().ToString());
  if (keys.empty()) return false;
  if (auto s = Archive(std::move(entries)); !s.ok()) {
    common::Logger().warn("audit archiver: {} (will retry)", s.ToString());
    return loop_.Pause(absl::Milliseconds(200));
  }
  std::vector<eventstore::Store::RowWrite> archived;
  archived.reserve(keys.size());
  for (auto& k : keys) archived.push_back({std::move(k), std::nullopt});
  if (auto d = store_->Write(Family::kConsumed, archived); !d.ok())
    common::Logger().error("audit archiver: deleting archived inbox items: {}", d.ToString());
  resume_ = archived.back().key + std::string(1, '\0');
  return archived.size() == kChunk;
}

}  // namespace yilian::audit
