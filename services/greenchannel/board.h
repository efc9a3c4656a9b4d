#pragma once
// The green channel's write machinery, shared by its commands (CaseCommands, BedCommands):
// the command runner over its journal, the live bed board, the stripes of cases, wards and
// bed requests, the clock and the options.
//
// Every change to a ward's beds is decided on the live board under the ward's stripe and
// written with its owner (a case, a bed request) in one transaction, so no bed is promised
// twice and no hold is left without its owner. Lock order: the command's own aggregate (the
// runner's lock: a case, a bed request, a ward), then wards, all at once (LockAll).
//
// Thread-safe; borrows the journal, view, sites and clock.

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "board_model.h"
#include "board_streams.h"
#include "live_board.h"
#include "sites.h"
#include "yilian/command/runner.h"
#include "yilian/common/clock.h"

namespace yilian::greenchannel {

struct BoardOptions {
  domain::greenchannel::PlacementOptions placement;
  absl::Duration emergency_hold = absl::Minutes(60);  // until the patient should have arrived
  absl::Duration referral_hold = absl::Hours(24);     // when a bed request names no admission time
  int max_attempts = 16;                              // re-placements when the board moved meanwhile
};

class Board {
 public:
  Board(eventstore::Journal* journal, const BoardView* view, const SiteDirectory* sites, common::Clock* clock,
        BoardOptions options)
      : runner_(journal, {.service = "greenchannel"}),
        view_(view),
        sites_(sites),
        clock_(clock),
        options_(options),
        live_(view) {}

  command::Runner& runner() { return runner_; }
  const BoardView& view() const { return *view_; }
  LiveBoard& live() { return live_; }
  command::StripeLocks& case_locks() { return case_locks_; }
  command::StripeLocks& ward_locks() { return ward_locks_; }
  command::StripeLocks& request_locks() { return request_locks_; }
  const BoardOptions& options() const { return options_; }
  absl::Time Now() const { return clock_->Now(); }
  int64_t NowMs() const { return absl::ToUnixMillis(clock_->Now()); }

  // A ward as decisions see it, to add events to. The caller holds its stripe.
  absl::StatusOr<WardStream> LoadWard(const std::string& ward_key);
  // Sites for placement (one consortium's members but `exclude`), with their wards' free beds.
  absl::StatusOr<std::vector<domain::greenchannel::Site>> SitesFor(const std::string& consortium_id,
                                                                   const std::set<std::string>& exclude = {});

  // Adds the wards' events to `decision` (after its own aggregate's), stages them on the live
  // board, and lets the wards' stripes go once the append is queued.
  template <typename Reply>
  void Queue(command::Decision<Reply>& decision, std::vector<WardStream> wards, command::Locks ward_locks) {
    std::vector<std::pair<std::string, v1::WardStatus>> after;
    for (auto& w : wards) {
      if (w.empty()) continue;
      after.emplace_back(w.id(), StatusOf(*w.state(), w.version()));
      decision.Add(std::move(w));
    }
    if (!after.empty()) decision.settled = live_.Stage(std::move(after));
    for (auto& l : ward_locks) decision.queued_locks.push_back(std::move(l));
  }

 private:
  command::Runner runner_;
  const BoardView* view_;
  const SiteDirectory* sites_;
  common::Clock* clock_;
  BoardOptions options_;
  LiveBoard live_;
  command::StripeLocks case_locks_;
  command::StripeLocks ward_locks_;
  command::StripeLocks request_locks_;
};

// The ward a placement holds a bed on ("" for a lead overflow: no bed).
std::string WardKeyOf(const v1::Placement& placement);

}  // namespace yilian::greenchannel
