#pragma once
// What a destination hospital sees coming: the emergency cases en route to it (ListInboundCases,
// most severe first, then by ETA) and their changes as they happen (WatchInboundCases). A case
// that stops coming to it (redirected elsewhere, arrived, closed) is said once more with
// `inbound` false and why, at once. The list shows identities to those in care (the caller
// records the reveal); a watch shows none. Thread-safe; borrows all parts.

#include <atomic>

#include "absl/functional/function_ref.h"
#include "board_model.h"
#include "board_queries.h"
#include "yilian/eventstore/journal.h"

namespace yilian::greenchannel {

class InboundQueries {
 public:
  InboundQueries(const eventstore::Journal* journal, const BoardView* view, const BoardQueries* board)
      : journal_(journal), view_(view), board_(board) {}
  // Ends open watches (before the server shuts down).
  void Stop() { stopping_ = true; }

  absl::StatusOr<v1::ListCasesResponse> List(const common::Principal& who,
                                             const v1::ListInboundCasesRequest& req) const;
  // Writes until `write` fails, `cancelled` says so, `deadline` passes (DEADLINE_EXCEEDED) or
  // the service stops.
  absl::Status Watch(const common::Principal& who, const v1::WatchInboundCasesRequest& req, absl::Time deadline,
                     absl::FunctionRef<bool()> cancelled,
                     absl::FunctionRef<bool(const v1::InboundCaseChange&)> write) const;

 private:
  absl::StatusOr<std::string> InstitutionOf(const common::Principal& who, const std::string& asked) const;
  v1::CaseReply Shown(v1::CaseReply c) const;

  const eventstore::Journal* journal_;
  const BoardView* view_;
  const BoardQueries* board_;
  std::atomic<bool> stopping_{false};
};

}  // namespace yilian::greenchannel
