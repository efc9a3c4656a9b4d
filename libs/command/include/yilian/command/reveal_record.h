#pragma once
// Who saw which patient. A read that shows patients' identities (IDENTITY_SHOWN) is answered
// only once the showing is on record: one common.v1.IdentityRevealed per patient, journaled
// through the runner in one transaction (aggregate "identity_reveal", id = the patient
// reference; the envelope's actor is the caller and its patient the one shown), durable before
// `done` runs. The audit archives and indexes it under the patient like any other event, so
// Audit/Replay of a patient lists every reveal. Projections of a journal skip the aggregate
// (IsRevealRecord).
//
// Thread-safe; borrows the journal.

#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "yilian/command/runner.h"
#include "yilian/common/principal.h"
#include "yilian/common/v1/common.pb.h"

namespace yilian::command {

inline constexpr char kIdentityReveal[] = "identity_reveal";

inline bool IsRevealRecord(std::string_view aggregate_type) { return aggregate_type == kIdentityReveal; }

class RevealRecorder {
 public:
  RevealRecorder(eventstore::Journal* journal, std::string service)
      : runner_(journal, {.service = service}), service_(std::move(service)) {}

  // Records that `who` was shown the identities of `patients` (references; repeats count once)
  // by `rpc`; `done` runs once that is durable, with OK at once when there are none.
  void Record(const common::Principal& who, const std::string& correlation_id, std::string_view rpc,
              std::vector<std::string> patients, absl::AnyInvocable<void(absl::Status) &&> done);
  absl::Status RecordAndWait(const common::Principal& who, const std::string& correlation_id, std::string_view rpc,
                             std::vector<std::string> patients);

  // The reference of a shown identity, to collect before recording ("" when `view` shows none).
  static std::string Shown(const common::v1::PatientRef& patient, const common::v1::IdentityView& view) {
    return view.state() == common::v1::IDENTITY_SHOWN ? patient.value() : std::string();
  }

 private:
  Runner runner_;
  std::string service_;
};

}  // namespace yilian::command
