#pragma once
// The green channel's reads, for an authenticated caller: a case with its timeline, a
// dispatch centre's open cases, the bed board (once, or watched as it changes), a bed
// request, and the door-to-treatment report. Who may read what is the domain's
// (domain::greenchannel access; docs/ROLES.md); a patient's identity is shown to dispatch and
// to the destination's clinicians. Thread-safe; borrows all parts.

#include <atomic>
#include <functional>

#include "absl/functional/function_ref.h"
#include "board_model.h"
#include "yilian/eventstore/journal.h"
#include "yilian/privacy/key_vault.h"
#include "yilian/registry_model/registry_model.h"

namespace yilian::greenchannel {

// The ids of `type`'s aggregates changed by the journal entries (after, head], in the order they
// first changed.
absl::StatusOr<std::vector<std::string>> ChangedAggregates(const eventstore::Journal& journal, int64_t after,
                                                           int64_t head, const std::string& type);

class BoardQueries {
 public:
  BoardQueries(const eventstore::Journal* journal, const BoardView* view, const registry_model::RegistryView* registry,
               privacy::KeyVault* vault)
      : journal_(journal), view_(view), registry_(registry), vault_(vault) {}
  // Ends open watches (before the server shuts down).
  void Stop() { stopping_ = true; }

  // The reply's identity view, as `who` may see it.
  void ShowIdentity(const common::Principal& who, v1::CaseReply& reply) const;
  absl::StatusOr<v1::CaseDetail> GetCase(const common::Principal& who, const std::string& case_id) const;
  absl::StatusOr<v1::ListCasesResponse> ListOpenCases(const common::Principal& who,
                                                      const v1::ListOpenCasesRequest& req) const;
  absl::StatusOr<v1::BedBoard> GetBedBoard(const v1::BedBoardRequest& req) const;
  // Writes the wards the request selects, then each again whenever it changes, until `write`
  // fails, `cancelled` says so, `deadline` passes (DEADLINE_EXCEEDED) or the service stops.
  absl::Status WatchBedBoard(const v1::BedBoardRequest& req, absl::Time deadline, absl::FunctionRef<bool()> cancelled,
                             absl::FunctionRef<bool(const v1::WardStatus&)> write) const;
  absl::StatusOr<v1::BedRequestReply> GetBedRequest(const common::Principal& who, const std::string& request_id) const;
  absl::StatusOr<v1::DoorToTreatmentReport> DoorToTreatment(const common::Principal& who,
                                                            const v1::DoorToTreatmentRequest& req) const;

 private:
  // The wards a board request selects, as a filter.
  absl::StatusOr<std::function<bool(const v1::WardStatus&)>> BoardFilter(const v1::BedBoardRequest& req) const;

  const eventstore::Journal* journal_;
  const BoardView* view_;
  const registry_model::RegistryView* registry_;
  privacy::KeyVault* vault_;
  std::atomic<bool> stopping_{false};
};

}  // namespace yilian::greenchannel
