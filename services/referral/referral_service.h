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

#include "absl/functional/any_invocable.h"
#include "directory.h"
#include "writer.h"
#include "yilian/host/authenticator.h"
#include "yilian/privacy/key_vault.h"
#include "yilian/referral/v1/referral_service.grpc.pb.h"

namespace yilian::referral {

// Every method is a callback method. A command's handler decides, queues its append and
// returns; the journal's completion thread finishes the call once the append is durable, so
// no thread waits for an fsync (with the sync API each waiting call held a thread: on two
// cores that cost a quarter of the submission rate). Reads finish on the handler's thread.
class ReferralService final : public fv1::Referrals::CallbackService {
 public:
  ReferralService(ReferralWriter* writer, const ReferralView* view, const eventstore::Journal* journal,
                  const MirrorDirectory* directory, const host::Authenticator* auth, dr::Deadlines deadlines,
                  dr::SlotPolicy slots, privacy::KeyVault* vault)
      : writer_(writer), view_(view), journal_(journal), directory_(directory), auth_(auth),
        deadlines_(deadlines), slots_(slots), vault_(vault) {}

  grpc::ServerUnaryReactor* Submit(grpc::CallbackServerContext*, const fv1::SubmitReferralRequest*,
                                   fv1::ReferralReply*) override;
  grpc::ServerUnaryReactor* Acknowledge(grpc::CallbackServerContext*, const fv1::ReferralActionRequest*,
                                        fv1::ReferralReply*) override;
  grpc::ServerUnaryReactor* Accept(grpc::CallbackServerContext*, const fv1::ReferralActionRequest*,
                                   fv1::ReferralReply*) override;
  grpc::ServerUnaryReactor* Reject(grpc::CallbackServerContext*, const fv1::RejectReferralRequest*,
                                   fv1::ReferralReply*) override;
  grpc::ServerUnaryReactor* RequestInformation(grpc::CallbackServerContext*, const fv1::RequestInformationRequest*,
                                               fv1::ReferralReply*) override;
  grpc::ServerUnaryReactor* SupplyInformation(grpc::CallbackServerContext*, const fv1::SupplyInformationRequest*,
                                              fv1::ReferralReply*) override;
  grpc::ServerUnaryReactor* Schedule(grpc::CallbackServerContext*, const fv1::ScheduleReferralRequest*,
                                     fv1::ReferralReply*) override;
  grpc::ServerUnaryReactor* RecordArrival(grpc::CallbackServerContext*, const fv1::ReferralActionRequest*,
                                          fv1::ReferralReply*) override;
  grpc::ServerUnaryReactor* Complete(grpc::CallbackServerContext*, const fv1::CompleteReferralRequest*,
                                     fv1::ReferralReply*) override;
  grpc::ServerUnaryReactor* Cancel(grpc::CallbackServerContext*, const fv1::CancelReferralRequest*,
                                   fv1::ReferralReply*) override;
  grpc::ServerUnaryReactor* Redirect(grpc::CallbackServerContext*, const fv1::RedirectReferralRequest*,
                                     fv1::ReferralReply*) override;
  grpc::ServerUnaryReactor* GetReferral(grpc::CallbackServerContext*, const fv1::GetReferralRequest*,
                                        fv1::GetReferralResponse*) override;
  grpc::ServerUnaryReactor* ListIncoming(grpc::CallbackServerContext*, const fv1::ListWorklistRequest*,
                                         fv1::ListWorklistResponse*) override;
  grpc::ServerUnaryReactor* ListOutgoing(grpc::CallbackServerContext*, const fv1::ListWorklistRequest*,
                                         fv1::ListWorklistResponse*) override;
  grpc::ServerUnaryReactor* ListAvailableSlots(grpc::CallbackServerContext*, const fv1::ListAvailableSlotsRequest*,
                                               fv1::ListAvailableSlotsResponse*) override;

 private:
  // A decision on an existing referral by a caller on `side`.
  using Act = std::function<absl::StatusOr<Change>(const std::optional<fv1::Referral>& state, dr::Side side)>;
  // Authenticated CLINICIAN / REFERRAL_OFFICE acting for an institution.
  absl::StatusOr<common::Principal> Caller(const grpc::ServerContextBase& ctx) const;
  // The caller and its Call for a command (request_id required, key scoped by subject).
  absl::StatusOr<Call> CallOf(const grpc::ServerContextBase& ctx, const google::protobuf::Message& req,
                              const std::string& request_id) const;
  // The caller's side of a referral; PERMISSION_DENIED when it is none of its business.
  absl::StatusOr<dr::Side> SideOf(const common::Principal& who, const fv1::Referral& r) const;
  // What a command answers instead of the changed referral (Redirect: the new one).
  using Then = absl::AnyInvocable<absl::StatusOr<fv1::ReferralReply>(fv1::ReferralReply) &&>;
  // Runs a command and finishes the call when it is durable, with the decorated reply.
  grpc::ServerUnaryReactor* Command(grpc::CallbackServerContext* ctx, const google::protobuf::Message& req,
                                    const std::string& referral_id, int64_t expected_version,
                                    const std::string& request_id, const Act& act, fv1::ReferralReply* out,
                                    Then then = nullptr);
  // Queues `call`'s command; `out` gets the decorated reply (after `then`) when it is durable.
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* ctx, const Call& call, const std::string& referral_id,
                                int64_t expected_version, const ReferralWriter::Decide& decide, fv1::ReferralReply* out,
                                Then then = nullptr);
  // Adds what the reply shows but does not store: exam recognition now, allowed actions, the
  // patient's identity (every caller who may see the referral is in the patient's care: its
  // sender, receiver or their lead hospital).
  void Decorate(fv1::ReferralReply& reply) const;
  // The Schedule decision for each kind.
  absl::StatusOr<Change> BookSession(const fv1::Referral& r, dr::Side side, const std::string& session_id);
  // The reads, answered on the handler's thread.
  grpc::Status Get(const grpc::ServerContextBase& ctx, const fv1::GetReferralRequest& req,
                   fv1::GetReferralResponse* out) const;
  grpc::Status List(const grpc::ServerContextBase& ctx, const fv1::ListWorklistRequest& req, const char* list,
                    fv1::ListWorklistResponse* out) const;
  grpc::Status Slots(const grpc::ServerContextBase& ctx, const fv1::ListAvailableSlotsRequest& req,
                     fv1::ListAvailableSlotsResponse* out) const;

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
