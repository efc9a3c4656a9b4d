#pragma once
// The bed board's own commands: a ward's capacity (from the registry, over the bus), a
// discharge (a hospital's), and the answers to referrals' bed requests (from the bus): a bed
// held on a ward of the kind asked for, or a decline with the reason; released when the
// referral lets it go or the hold lapses; taken up when the patient arrives. Each is one
// decision of the bed-board and bed-request cores, written with the ward in one transaction
// and answered once durable. Commands from the bus carry the inbox's idempotency key, so a
// redelivered event changes nothing. Thread-safe; borrows the board.

#include "board.h"
#include "yilian/referral/v1/beds.pb.h"
#include "yilian/registry/v1/registry.pb.h"

namespace yilian::greenchannel {

class BedCommands {
 public:
  explicit BedCommands(Board* board) : board_(board) {}

  absl::Status SetCapacity(const command::Call& call, const registry::v1::Ward& ward);
  absl::StatusOr<v1::WardStatus> Discharge(const command::Call& call, const v1::DischargeRequest& req);
  absl::Status AnswerBedRequest(const command::Call& call, const referral::v1::BedRequested& req);
  absl::Status CancelBedRequest(const command::Call& call, const referral::v1::BedRequestCancelled& req);
  absl::Status AdmitReferral(const command::Call& call, const referral::v1::ReferredPatientAdmitted& req);
  // The expiry timer's: a reserved request whose hold lapsed is released.
  absl::Status ReleaseExpired(const v1::BedRequestReply& request);

 private:
  using RequestDecision = command::Decision<v1::BedRequestReply>;
  // A reserved request let go (`expired`: its hold lapsed, else released for `reason`).
  absl::Status Release(const command::Call& call, const std::string& request_id, const std::string& reason,
                       bool expired);
  absl::Status OnRequest(const command::Call& call, const std::string& request_id,
                         absl::FunctionRef<absl::StatusOr<RequestDecision>()> decide);
  absl::StatusOr<RequestDecision> DecideAnswer(const referral::v1::BedRequested& req);

  Board* board_;
};

}  // namespace yilian::greenchannel
