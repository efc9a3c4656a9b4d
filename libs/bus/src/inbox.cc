#include "yilian/bus/inbox.h"

#include "absl/strings/str_cat.h"
#include "yilian/common/logging.h"
#include "yilian/common/status_macros.h"

namespace yilian::bus {

using eventstore::Family;

absl::Status InboxProjector::Apply(const events::v1::Envelope& env, eventstore::ProjectionBatch& rows) {
  return ApplyEntry(env, env.SerializeAsString(), rows);
}

absl::Status InboxProjector::ApplyEntry(const events::v1::Envelope& env, std::string_view stored,
                                        eventstore::ProjectionBatch& rows) {
  if (mirror_) RETURN_IF_ERROR(mirror_(env, rows));
  ASSIGN_OR_RETURN(bool queue, admit_(env));
  if (!queue) return absl::OkStatus();
  const std::string next_key = prefix_ + "-next";
  ASSIGN_OR_RETURN(auto next, rows.Get(next_key));
  const uint64_t n = next ? eventstore::DecodeU64(*next) : 1;
  rows.Put(absl::StrCat(prefix_, "/", eventstore::EncodeU64(n)), stored);
  rows.Put(next_key, eventstore::EncodeU64(n + 1));
  return absl::OkStatus();
}

InboxWorker::InboxWorker(eventstore::Store* store, const eventstore::Journal* journal, std::string prefix,
                         std::string name, Handler handler)
    : store_(store),
      journal_(journal),
      prefix_(prefix + "/"),
      name_(std::move(name)),
      handler_(std::move(handler)),
      loop_({.name = name_}, [this] { return Pass(); }) {
  loop_.Start();
}

void InboxWorker::Notify() { loop_.Notify(); }

int64_t InboxWorker::Pending() const {
  auto n = store_->Scan(Family::kConsumed, prefix_, "", [](std::string_view, std::string_view) { return true; });
  return n.ok() ? *n : -1;
}

absl::Status InboxWorker::Handle(const events::v1::Envelope& env) {
  const std::string key = absl::StrCat("inbox/", env.source_service(), "/", env.source_sequence());
  ASSIGN_OR_RETURN(auto prior, journal_->FindIdempotent(key, env.event_id()));
  if (prior) return absl::OkStatus();  // acted on before a crash
  return handler_(env, key, env.event_id());
}

bool InboxWorker::Pass() {
  constexpr size_t kChunk = 256;
  std::vector<std::pair<std::string, std::string>> items;
  // From just past the last item handled: inbox keys only grow, and starting at the prefix
  // would walk every deleted item's tombstone again on each pass.
  auto scanned = store_->Scan(Family::kConsumed, prefix_, resume_, [&](std::string_view k, std::string_view v) {
    items.emplace_back(k, v);
    return items.size() < kChunk;
  });
  if (!scanned.ok()) common::Logger().error("{}: {}", name_, scanned.status().ToString());
  bool again = items.size() == kChunk;
  for (const auto& [key, value] : items) {
    if (loop_.stopping()) return false;
    events::v1::Envelope env;
    const bool parsed = env.ParseFromString(value);
    // Whatever acting on it logs (here or in the handler) carries the flow it belongs to.
    common::LogScope scope({{"correlation_id", env.correlation_id()},
                            {"event", absl::StrCat(env.source_service(), "#", env.source_sequence())}});
    absl::Status s = parsed ? Handle(env) : absl::DataLossError("inbox item does not parse");
    if (s.ok()) common::Logger().info("{}: acted on {} {}", name_, env.event_type(), env.aggregate_id());
    if (absl::IsUnavailable(s) || absl::IsAborted(s) || absl::IsInternal(s)) {
      // Transient (disk, shutdown, a race on a version): keep the item, try again soon.
      common::Logger().warn("{}: {} (will retry)", name_, s.ToString());
      return loop_.Pause(absl::Milliseconds(100));
    }
    if (!s.ok())
      common::Logger().warn("{}: {} event {} from {} #{} not acted on: {}", name_, env.event_type(), env.event_id(),
                            env.source_service(), env.source_sequence(), s.ToString());
    auto d = store_->Delete(Family::kConsumed, key);
    if (!d.ok()) common::Logger().error("{}: deleting an item: {}", name_, d.ToString());
    resume_ = key + std::string(1, '\0');
  }
  return again;
}

}  // namespace yilian::bus
