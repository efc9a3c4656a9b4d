#pragma once
// The one write path of every command in every service:
//
//   answer a retry from its idempotency record → lock the command's aggregate → look again
//   (a concurrent retry may have finished meanwhile) → decide (the service loads state and
//   asks its domain core; Stream folds the events and builds their envelopes) → store the
//   reply with the idempotency key → append every aggregate the decision touches in ONE
//   journal transaction → finish the call once the batch is durable.
//
// No thread waits for the fsync: Run returns once the append is queued, and the journal's
// completion thread releases the locks and finishes the call. A decision with no appends is
// answered at once. A service gives the runner a decision and, optionally, a Shape: what its
// answers show but the journal does not store (the patient's identity, allowed actions),
// applied to every answer, first or retried.
//
// Locks: the command's own aggregate is locked before the decision (Lock) and held until the
// append is durable, so commands on one aggregate are decided one after another on the state
// the previous one left. A decision may take more stripes: held until durable
// (Decision::locks) or only until the append is queued (Decision::queued_locks: the next
// decision on those aggregates reads a cache the decision moved forward, as the green
// channel's live bed board does). See StripeLocks for the order.
//
// Thread-safe. Borrows the journal. Never call RunAndWait on the journal's completion thread
// (a Done callback): it would wait for itself.

#include <functional>
#include <future>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "yilian/command/call.h"
#include "yilian/command/stream.h"
#include "yilian/command/stripe_locks.h"
#include "yilian/eventstore/journal.h"

namespace yilian::command {

template <typename Reply>
struct Decision {
  // One transaction: the first append carries the call's idempotency key and stored reply.
  // None: nothing changes, and `reply` is the answer.
  std::vector<eventstore::AppendRequest> appends;
  Reply reply;         // the answer once the appends are durable
  Locks locks;         // more stripes, held until the appends are durable
  Locks queued_locks;  // stripes held until the appends are queued
  // Runs on the completion thread when the appends are answered, before any lock is
  // released: `written` is false when they failed or were a retry's (nothing of theirs written).
  absl::AnyInvocable<void(bool written) &&> settled;
  std::string flow_id;  // the correlation id the events carry ("": the call's)

  // Adds a stream's append (nothing when it has no events).
  template <typename State, typename Event>
  void Add(Stream<State, Event>&& stream) {
    if (!stream.empty()) appends.push_back(std::move(stream).Append());
  }
};

struct RunnerOptions {
  std::string service;  // for the log
  // One info record per command written ("<type> <id> v<version>: <event types>"), with the
  // fields of the caller's log scopes, the flow's correlation_id and "<type>_id".
  bool log_changes = false;
};

class Runner {
 public:
  Runner(eventstore::Journal* journal, RunnerOptions options) : journal_(journal), options_(std::move(options)) {}

  // The aggregate a command is about. Without stripes the runner locks nothing and looks up
  // no answer before the decision: for decisions that read no state (the journal answers a
  // retry from its record), or that take every lock they need themselves and carry no
  // idempotency key (a service's own timer). `may_see`, when set, is asked before a stored
  // answer is handed to a retry: whether the caller may see the aggregate now (a decision
  // checks the caller itself, but a stored answer skips the decision); its error is the answer.
  struct Lock {
    StripeLocks* stripes = nullptr;
    std::string_view id;
    std::function<absl::Status()> may_see;
  };
  template <typename Reply>
  using Decide = absl::FunctionRef<absl::StatusOr<Decision<Reply>>()>;
  template <typename Reply>
  using Done = absl::AnyInvocable<void(absl::StatusOr<Reply>) &&>;
  template <typename Reply>
  using Shape = std::function<void(Reply&)>;

  // `done` runs once: on this thread when the command ends before an append (an error, a
  // retry's answer, a decision with no appends), else on the journal's completion thread;
  // keep it short there. Every lock is released before it runs. Errors: the decision's own,
  // the journal's (ABORTED for a version conflict, ALREADY_EXISTS for a key reused with
  // another request, UNAVAILABLE), DATA_LOSS for a stored answer that does not parse.
  template <typename Reply>
  void Run(const Call& call, Lock lock, Decide<Reply> decide, Done<Reply> done, Shape<Reply> shape = nullptr);

  // Run, waiting for the answer. An append refused for a version conflict (another process,
  // or a queued append on a cached aggregate that failed) is decided again, up to `attempts`
  // times in all; a decision's own ABORTED is the answer.
  template <typename Reply>
  absl::StatusOr<Reply> RunAndWait(const Call& call, Lock lock, Decide<Reply> decide, Shape<Reply> shape = nullptr,
                                   int attempts = 1);

  eventstore::Journal* journal() const { return journal_; }

 private:
  using Answered = absl::AnyInvocable<void(absl::StatusOr<std::vector<eventstore::AppendResult>>) &&>;
  // The stored answer to the call's key: its bytes, nullopt when the key is unused.
  absl::StatusOr<std::optional<std::string>> Prior(const Call& call) const;
  // Fills in the appends' call fields and queues them; `answered` runs on the completion
  // thread after `settled` and with every lock released.
  void Append(const Call& call, std::vector<eventstore::AppendRequest> appends, std::string response, std::string flow,
              Locks locks, Locks queued_locks, absl::AnyInvocable<void(bool) &&> settled, Answered answered);
  static absl::Status DataLoss();

  eventstore::Journal* journal_;
  RunnerOptions options_;
};

template <typename Reply>
void Runner::Run(const Call& call, Lock lock, Decide<Reply> decide, Done<Reply> done, Shape<Reply> shape) {
  const auto answer = [&](const std::string& bytes) {
    if (lock.may_see)
      if (auto s = lock.may_see(); !s.ok()) return std::move(done)(s);
    Reply reply;
    if (!reply.ParseFromString(bytes)) return std::move(done)(DataLoss());
    if (shape) shape(reply);
    std::move(done)(std::move(reply));
  };
  Locks held;
  if (lock.stripes != nullptr) {
    auto prior = Prior(call);
    if (!prior.ok()) return std::move(done)(prior.status());
    if (*prior) return answer(**prior);
    held.push_back(lock.stripes->Lock(lock.id));
    prior = Prior(call);  // a concurrent retry of this call may have finished meanwhile
    if (!prior.ok() || *prior) held.clear();
    if (!prior.ok()) return std::move(done)(prior.status());
    if (*prior) return answer(**prior);
  }
  auto decision = decide();
  if (!decision.ok() || decision->appends.empty()) {
    held.clear();
    if (!decision.ok()) return std::move(done)(decision.status());
    decision->locks.clear();
    decision->queued_locks.clear();
    if (shape) shape(decision->reply);
    return std::move(done)(std::move(decision->reply));
  }
  for (auto& l : decision->locks) held.push_back(std::move(l));
  std::string response = call.idempotency_key.empty() ? std::string() : decision->reply.SerializeAsString();
  if (shape) shape(decision->reply);  // the stored form is taken: what the answer shows besides
  Append(call, std::move(decision->appends), std::move(response), std::move(decision->flow_id), std::move(held),
         std::move(decision->queued_locks), std::move(decision->settled),
         [reply = std::move(decision->reply), done = std::move(done),
          shape = std::move(shape)](absl::StatusOr<std::vector<eventstore::AppendResult>> results) mutable {
           if (!results.ok()) return std::move(done)(results.status());
           if (!results->front().duplicate) return std::move(done)(std::move(reply));
           Reply first;  // the append was a concurrent retry's: the first call's answer
           if (!first.ParseFromString(results->front().response)) return std::move(done)(DataLoss());
           if (shape) shape(first);
           std::move(done)(std::move(first));
         });
}

template <typename Reply>
absl::StatusOr<Reply> Runner::RunAndWait(const Call& call, Lock lock, Decide<Reply> decide, Shape<Reply> shape,
                                         int attempts) {
  for (int attempt = 1;; ++attempt) {
    std::promise<absl::StatusOr<Reply>> promise;
    auto future = promise.get_future();
    bool decided = false;
    auto decide_once = [&]() -> absl::StatusOr<Decision<Reply>> {
      auto d = decide();
      decided = d.ok() && !d->appends.empty();
      return d;
    };
    Run<Reply>(
        call, lock, decide_once, [&promise](absl::StatusOr<Reply> r) { promise.set_value(std::move(r)); }, shape);
    auto result = future.get();
    if (!(decided && absl::IsAborted(result.status())) || attempt >= attempts) return result;
  }
}

}  // namespace yilian::command
