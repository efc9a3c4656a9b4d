#pragma once
// The live bed board: every ward as the appends queued so far leave it, in memory (loaded
// from the projection once). A decision on a ward reads it here under the ward's lock and
// stages what its append will leave; the lock goes as soon as the append is queued, so the
// next decision on the ward already sees it and case opens on one ward share group commits
// instead of waiting one fsync each. Placement reads every ward's free beds here too.
//
// If a staged append is not written (it failed, or it was a retry's and the first answer
// stood), its wards become stale: the next decision on one waits until nothing is in flight
// for it and reloads it from the projection, which then has every durable change; appends
// queued behind the failed one fail on their expected version (ABORTED) and are decided
// again. Thread-safe; borrows the view.

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "board_model.h"
#include "yilian/domain/greenchannel/placement.h"

namespace yilian::greenchannel {

class LiveBoard {
 public:
  explicit LiveBoard(const BoardView* view) : view_(view) {}

  // The ward as decisions must see it (nullopt: not on the board). The caller holds its lock.
  absl::StatusOr<std::optional<v1::WardStatus>> Ward(const std::string& ward_key);
  // Adds every ward's free beds to the sites of its institution (a stale ward's from the
  // projection: the decision itself, under the ward's lock, waits for the exact state).
  absl::Status AddWards(std::vector<domain::greenchannel::Site>& sites);
  // The wards as an append being queued leaves them; the caller holds their locks. Returns
  // what to call once the append is answered (written: it is durable).
  absl::AnyInvocable<void(bool written) &&> Stage(std::vector<std::pair<std::string, v1::WardStatus>> after);

 private:
  struct Live {
    v1::WardStatus status;
    int in_flight = 0;   // appends queued and not yet answered
    bool stale = false;  // an append was not written: reload once nothing is in flight
  };
  absl::Status LoadOnce() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Settle(const std::vector<std::string>& keys, bool written);

  const BoardView* view_;
  std::mutex mu_;
  std::condition_variable settled_;  // an in-flight append was answered
  bool loaded_ ABSL_GUARDED_BY(mu_) = false;
  // A ward's status changes only under the ward's lock too.
  std::map<std::string, Live> wards_ ABSL_GUARDED_BY(mu_);
};

}  // namespace yilian::greenchannel
