#include "yilian/command/runner.h"

#include "absl/strings/str_cat.h"
#include "yilian/common/logging.h"

namespace yilian::command {

absl::Status Runner::DataLoss() { return absl::DataLossError("the stored answer to this request does not parse"); }

absl::StatusOr<std::optional<std::string>> Runner::Prior(const Call& call) const {
  if (call.idempotency_key.empty()) return std::nullopt;
  auto prior = journal_->FindIdempotent(call.idempotency_key, call.request_hash);
  if (!prior.ok()) return prior.status();
  if (!*prior) return std::nullopt;
  return std::move((*prior)->response);
}

void Runner::Append(const Call& call, std::vector<eventstore::AppendRequest> appends, std::string response,
                    std::string flow, Locks locks, Locks queued_locks, absl::AnyInvocable<void(bool) &&> settled,
                    Answered answered) {
  if (flow.empty()) flow = call.correlation_id;
  for (auto& a : appends) {
    a.actor = call.actor;
    a.correlation_id = flow;
    a.causation_id = call.causation_id;
  }
  auto& first = appends.front();
  first.idempotency_key = call.idempotency_key;
  first.request_hash = call.request_hash;
  first.response = std::move(response);

  // What the change log needs, taken before the appends are handed over.
  struct Change {
    std::vector<common::LogField> fields;
    std::string type, id, events;
  };
  std::optional<Change> change;
  if (options_.log_changes && common::Logger().should_log(spdlog::level::info)) {
    change.emplace();
    change->fields = common::LogScopeFields();  // the caller's scopes (an inbox's event) go with it
    change->fields.emplace_back("correlation_id", flow);
    if (call.correlation_id != flow) change->fields.emplace_back("call_correlation_id", call.correlation_id);
    change->fields.emplace_back(absl::StrCat(first.aggregate_type, "_id"), first.aggregate_id);
    change->type = first.aggregate_type;
    change->id = first.aggregate_id;
    for (const auto& a : appends)
      for (const auto& e : a.events)
        absl::StrAppend(&change->events, change->events.empty() ? "" : ",", e.event_type());
  }
  journal_->AppendTransactionAsync(
      std::move(appends), [locks = std::move(locks), settled = std::move(settled), answered = std::move(answered),
                           change = std::move(change)](auto results) mutable {
        const bool written = results.ok() && !results->front().duplicate;
        if (settled) std::move(settled)(written);
        locks.clear();  // durable (or failed): the next command on these aggregates may decide
        if (change && written) {
          common::LogScope scope(std::move(change->fields));
          common::Logger().info("{} {} v{}: {}", change->type, change->id, results->front().aggregate_version,
                                change->events);
        }
        std::move(answered)(std::move(results));
      });
  queued_locks.clear();  // queued: the next decision on these aggregates already sees this append
}

}  // namespace yilian::command
