#pragma once
// The green channel's read model, folded from its own journal by the domain cores' Evolve
// (so a rebuild gives the same rows). Keys of the `projection` family:
//
//   w/<institution>/<ward>                         WardStatus (board, version, free counts)
//   x/<expires BE u64><institution>/<ward>\0<hold> expiry index of every live hold
//   c/<case>                                       CaseReply (case, version, clocks)
//   o/<dispatch centre>\0<case>                    open cases per dispatch centre
//   i/<destination>\0<case>                        cases en route to each destination
//   q/<request>                                    BedRequestReply
//
// BoardProjector runs inside the journal's writer (append and rebuild); BoardView reads
// committed rows and is thread-safe. Both borrow the store.

#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "yilian/domain/greenchannel/bed_board.h"
#include "yilian/eventstore/projection.h"
#include "yilian/eventstore/store.h"
#include "yilian/greenchannel/v1/greenchannel.pb.h"

namespace yilian::greenchannel {
// Aggregate types of the green channel's journal.
using domain::greenchannel::kBedRequest;
using domain::greenchannel::kCase;
using domain::greenchannel::kWard;

std::string WardKey(const std::string& institution_id, const std::string& ward_id);
// The status a board row shows: free counts, held, occupied, over capacity.
v1::WardStatus StatusOf(v1::WardBoard board, int64_t version);

class BoardProjector : public eventstore::Projector {
 public:
  absl::Status Apply(const events::v1::Envelope& event, eventstore::ProjectionBatch& rows) override;

 private:
  absl::Status ApplyWard(const events::v1::Envelope& env, eventstore::ProjectionBatch& rows);
  absl::Status ApplyCase(const events::v1::Envelope& env, eventstore::ProjectionBatch& rows);
  absl::Status ApplyRequest(const events::v1::Envelope& env, eventstore::ProjectionBatch& rows);
};

struct DueHold {
  std::string ward_key;  // "<institution>/<ward>"
  std::string hold_id;
  int64_t expires_at_ms = 0;
};

class BoardView {
 public:
  explicit BoardView(const eventstore::Store* store) : store_(store) {}

  absl::StatusOr<std::optional<v1::WardStatus>> Ward(const std::string& ward_key) const;
  absl::StatusOr<std::optional<v1::CaseReply>> Case(const std::string& case_id) const;
  absl::StatusOr<std::optional<v1::BedRequestReply>> Request(const std::string& request_id) const;
  // Every ward on the board (or one institution's), in key order.
  absl::Status ForEachWard(const std::string& institution_id, absl::FunctionRef<bool(const v1::WardStatus&)> fn) const;
  // Holds whose deadline is at or before `now_ms`, soonest first, at most `max`.
  absl::StatusOr<std::vector<DueHold>> DueHolds(int64_t now_ms, size_t max) const;
  // Cases en route to `institution`, in case id order.
  absl::Status ForEachInboundCase(const std::string& institution,
                                  absl::FunctionRef<bool(const v1::CaseReply&)> fn) const;
  // Open cases of a dispatch centre in case id order, after `after_case` ("" = from the start).
  absl::Status ForEachOpenCase(const std::string& dispatch_centre, const std::string& after_case,
                               absl::FunctionRef<bool(const v1::CaseReply&)> fn) const;
  absl::Status ForEachCase(absl::FunctionRef<bool(const v1::CaseReply&)> fn) const;
  // The deadline of a live hold, 0 when it is gone.
  int64_t HoldExpiry(const v1::EmergencyCase& c) const;

 private:
  const eventstore::Store* store_;
};

}  // namespace yilian::greenchannel
