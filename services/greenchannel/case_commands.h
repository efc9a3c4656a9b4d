#pragma once
// Emergency cases: open (placed, with a bed held on the chosen ward), redirect (placed again,
// the old hold released or, for the timer, expired), milestones (ARRIVAL turns the hold into
// an admission), close (a hold still waiting is released). Each is one decision of the
// emergency-case and bed-board cores on the case (locked) and its wards (live board), written
// in one transaction and answered once durable. A decision that lost a race for a bed places
// again; an append refused because the board moved is decided again (BoardOptions::max_attempts).
//
// A caller's commands check its reach first (domain::greenchannel access; docs/ROLES.md), after
// a retry is answered from its record. Answers are shaped by the caller's `shape` (the identity
// it may see). Thread-safe; borrows the board and vault.

#include <string>

#include "board.h"
#include "yilian/domain/greenchannel/bed_board.h"
#include "yilian/domain/greenchannel/emergency_case.h"
#include "yilian/privacy/key_vault.h"

namespace yilian::greenchannel {

class CaseCommands {
 public:
  CaseCommands(Board* board, privacy::KeyVault* vault) : board_(board), vault_(vault) {}
  using Shape = command::Runner::Shape<v1::CaseReply>;

  // The case id derives from the call's idempotency key, which is required.
  absl::StatusOr<v1::CaseReply> Open(const command::Call& call, const v1::OpenCaseRequest& req, Shape shape);
  absl::StatusOr<v1::CaseReply> Redirect(const command::Call& call, const v1::RedirectCaseRequest& req, Shape shape);
  absl::StatusOr<v1::CaseReply> RecordMilestone(const command::Call& call, const v1::RecordMilestoneRequest& req,
                                                Shape shape);
  absl::StatusOr<v1::CaseReply> Close(const command::Call& call, const v1::CloseCaseRequest& req, Shape shape);
  // The destination's clinicians or referral office acknowledge the pre-notification.
  absl::StatusOr<v1::CaseReply> Acknowledge(const command::Call& call, const v1::AcknowledgeCaseRequest& req,
                                            Shape shape);

  // The expiry timer's: the case whose hold lapsed is placed again (the same hospital may be
  // chosen again), if it is still at `version`.
  absl::StatusOr<v1::CaseReply> PlaceAgainAfterExpiry(const std::string& case_id, int64_t version);
  // The expiry timer's last resort: the lapsed hold expires, and a case still waiting on it
  // keeps its destination as an overflow with no bed (it could not be placed again).
  absl::Status ExpireUnplaced(const DueHold& due, const v1::BedHold& hold);

 private:
  using Decision = command::Decision<v1::CaseReply>;
  // A change to one case, and to its held bed when the hold is still on its ward (null
  // `held_bed`: the bed is not touched).
  using DecideCase = absl::FunctionRef<absl::StatusOr<domain::greenchannel::CaseEvents>(const v1::EmergencyCase&)>;
  using DecideHeldBed = std::function<absl::StatusOr<domain::greenchannel::BoardEvents>(
      const std::optional<v1::WardBoard>&, const v1::EmergencyCase&)>;
  absl::StatusOr<v1::CaseReply> Change(const command::Call& call, const std::string& case_id, int64_t expected_version,
                                       DecideCase decide, const DecideHeldBed& held_bed, bool show_hold, Shape shape);
  absl::StatusOr<v1::CaseReply> Replace(const command::Call& call, const std::string& case_id, int64_t expected_version,
                                        const std::string& reason, bool hold_expired, Shape shape);
  // The case under its lock, checked against the caller's reach (unless the service's own
  // call) and `expected_version`.
  absl::StatusOr<CaseStream> LoadCase(const command::Call& call, const std::string& case_id, int64_t expected_version);
  absl::StatusOr<Decision> DecideOpen(const command::Call& call, const v1::OpenCaseRequest& req,
                                      const std::string& case_id);
  absl::StatusOr<Decision> DecideReplace(const command::Call& call, const std::string& case_id,
                                         int64_t expected_version, const std::string& reason, bool hold_expired);
  v1::CaseReply ReplyOf(const CaseStream& c, int64_t hold_expires_at_ms) const;

  Board* board_;
  privacy::KeyVault* vault_;
};

}  // namespace yilian::greenchannel
