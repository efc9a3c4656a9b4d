#pragma once
// The referral service's gRPC adapter (yilian.referral.v1.Referrals): authenticates, maps
// the caller to a side of the referral, scopes idempotency keys by caller, and hands each
// command to the ReferralWriter with a decision of the domain core; reads come from the
// ReferralView, timelines from the journal.
//
// Who may do what (callers are CLINICIAN or REFERRAL_OFFICE principals acting for an
// institution; every other role gets PERMISSION_DENIED):
//   Submit                              for their own institution, as sender
//   Acknowledge, Accept, Reject, RequestInformation, Schedule, RecordArrival, Complete
//                                       the receiver's principals
//   SupplyInformation, Cancel           the sender's principals
//   Redirect                            sender, receiver, or the lead hospital of a consortium
//                                       the sender or receiver belongs to
//   GetReferral                         sender, receiver, lead; others PERMISSION_DENIED
//   ListIncoming / ListOutgoing         their own institution's lists
//   ListAvailableSlots                  their own institution as the sender
//
// Thread-safe. Borrows all parts.

#include <functional>

#include "directory.h"
#include "writer.h"
#include "yilian/host/authenticator.h"
#include "yilian/privacy/key_vault.h"
#include "yilian/referral/v1/referral_service.grpc.pb.h"

namespace yilian::referral {

class ReferralService final : public fv1::Referrals::Service {
 public:
  ReferralService(ReferralWriter* writer, const ReferralView* view, const eventstore::Journal* journal,
                  const MirrorDirectory* directory, const host::Authenticator* auth, dr::Deadlines deadlines,
                  dr::SlotPolicy slots, privacy::KeyVault* vault)
      : writer_(writer), view_(view), journal_(journal), directory_(directory), auth_(auth),
        deadlines_(deadlines), slots_(slots), vault_(vault) {}

  grpc::Status Submit(grpc::ServerContext*, const fv1::SubmitReferralRequest*, fv1::ReferralReply*) override;
  grpc::Status Acknowledge(grpc::ServerContext*, const fv1::ReferralActionRequest*, fv1::ReferralReply*) override;
  grpc::Status Accept(grpc::ServerContext*, const fv1::ReferralActionRequest*, fv1::ReferralReply*) override;
  grpc::Status Reject(grpc::ServerContext*, const fv1::RejectReferralRequest*, fv1::ReferralReply*) override;
  grpc::Status RequestInformation(grpc::ServerContext*, const fv1::RequestInformationRequest*,
                                  fv1::ReferralReply*) override;
  grpc::Status SupplyInformation(grpc::ServerContext*, const fv1::SupplyInformationRequest*,
                                 fv1::ReferralReply*) override;
  grpc::Status Schedule(grpc::ServerContext*, const fv1::ScheduleReferralRequest*, fv1::ReferralReply*) override;
  grpc::Status RecordArrival(grpc::ServerContext*, const fv1::ReferralActionRequest*, fv1::ReferralReply*) override;
  grpc::Status Complete(grpc::ServerContext*, const fv1::CompleteReferralRequest*, fv1::ReferralReply*) override;
  grpc::Status Cancel(grpc::ServerContext*, const fv1::CancelReferralRequest*, fv1::ReferralReply*) override;
  grpc::Status Redirect(grpc::ServerContext*, const fv1::RedirectReferralRequest*, fv1::ReferralReply*) override;
  grpc::Status GetReferral(grpc::ServerContext*, const fv1::GetReferralRequest*, fv1::GetReferralResponse*) override;
  grpc::Status ListIncoming(grpc::ServerContext*, const fv1::ListWorklistRequest*, fv1::ListWorklistResponse*) override;
  grpc::Status ListOutgoing(grpc::ServerContext*, const fv1::ListWorklistRequest*, fv1::ListWorklistResponse*) override;
  grpc::Status ListAvailableSlots(grpc::ServerContext*, const fv1::ListAvailableSlotsRequest*,
                                  fv1::ListAvailableSlotsResponse*) override;

 private:
  // A decision on an existing referral by a caller on `side`.
  using Act = std::function<absl::StatusOr<Change>(const std::optional<fv1::Referral>& state, dr::Side side)>;
  // Authenticated CLINICIAN / REFERRAL_OFFICE acting for an institution.
  absl::StatusOr<common::Principal> Caller(const grpc::ServerContext& ctx) const;
  // The caller and its Call for a command (request_id required, key scoped by subject).
  absl::StatusOr<Call> CallOf(const grpc::ServerContext& ctx, const google::protobuf::Message& req,
                              const std::string& request_id) const;
  // The caller's side of a referral; PERMISSION_DENIED when it is none of its business.
  absl::StatusOr<dr::Side> SideOf(const common::Principal& who, const fv1::Referral& r) const;
  grpc::Status Command(grpc::ServerContext* ctx, const google::protobuf::Message& req, const std::string& referral_id,
                       int64_t expected_version, const std::string& request_id, const Act& act,
                       fv1::ReferralReply* out);
  // Adds what the reply shows but does not store: exam recognition now, allowed actions, the
  // patient's identity (every caller who may see the referral is in the patient's care: its
  // sender, receiver or their lead hospital).
  void Decorate(fv1::ReferralReply& reply) const;
  // The Schedule decision for each kind.
  absl::StatusOr<Change> BookSession(const fv1::Referral& r, dr::Side side, const std::string& session_id);
  grpc::Status List(grpc::ServerContext* ctx, const fv1::ListWorklistRequest* req, const char* list,
                    fv1::ListWorklistResponse* out);

  ReferralWriter* writer_;
  const ReferralView* view_;
  const eventstore::Journal* journal_;
  const MirrorDirectory* directory_;
  const host::Authenticator* auth_;
  dr::Deadlines deadlines_;
  dr::SlotPolicy slots_;
  privacy::KeyVault* vault_;
};

}  // namespace yilian::referral
