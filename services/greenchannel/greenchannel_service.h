#pragma once
// The green channel's gRPC adapter (yilian.greenchannel.v1.GreenChannel): authenticates,
// checks the caller's role and institution against the case or ward, scopes idempotency
// keys by caller, and hands commands to the BoardWriter; reads come from the BoardView,
// timelines from the journal, and the watch follows the journal head.
//
// Who may do what:
//   OpenCase                        DISPATCH
//   Redirect/Milestone/Close        DISPATCH, or a CLINICIAN / REFERRAL_OFFICE of the case's
//                                   current destination
//   GetCase                         as above, and AUDITOR
//   ListOpenCases                   DISPATCH, AUDITOR
//   Discharge                       CLINICIAN / REFERRAL_OFFICE of the ward's institution, SERVICE
//   GetBedBoard, WatchBedBoard      every authenticated caller
//   GetBedRequest                   SERVICE, AUDITOR, CLINICIAN / REFERRAL_OFFICE of the hospital
//   GetDoorToTreatment              CONSORTIUM_ADMIN, AUDITOR, DISPATCH; a CLINICIAN sees own
//
// Thread-safe. Borrows all parts.

#include <atomic>
#include <functional>

#include "board_writer.h"
#include "yilian/greenchannel/v1/greenchannel.grpc.pb.h"
#include "yilian/host/authenticator.h"
#include "yilian/privacy/key_vault.h"

namespace yilian::greenchannel {

class GreenChannelService final : public gv1::GreenChannel::Service {
 public:
  GreenChannelService(eventstore::Journal* journal, const BoardView* view, BoardWriter* writer,
                      const registry_model::RegistryView* registry, const host::Authenticator* auth,
                      privacy::KeyVault* vault)
      : journal_(journal), view_(view), writer_(writer), registry_(registry), auth_(auth), vault_(vault) {}
  // Ends open watch streams (call before shutting the server down).
  void Stop() { stopping_ = true; }

  grpc::Status OpenCase(grpc::ServerContext*, const gv1::OpenCaseRequest*, gv1::CaseReply*) override;
  grpc::Status RedirectCase(grpc::ServerContext*, const gv1::RedirectCaseRequest*, gv1::CaseReply*) override;
  grpc::Status RecordMilestone(grpc::ServerContext*, const gv1::RecordMilestoneRequest*, gv1::CaseReply*) override;
  grpc::Status CloseCase(grpc::ServerContext*, const gv1::CloseCaseRequest*, gv1::CaseReply*) override;
  grpc::Status GetCase(grpc::ServerContext*, const gv1::GetCaseRequest*, gv1::CaseDetail*) override;
  grpc::Status ListOpenCases(grpc::ServerContext*, const gv1::ListOpenCasesRequest*, gv1::ListCasesResponse*) override;
  grpc::Status Discharge(grpc::ServerContext*, const gv1::DischargeRequest*, gv1::WardStatus*) override;
  grpc::Status GetBedBoard(grpc::ServerContext*, const gv1::BedBoardRequest*, gv1::BedBoard*) override;
  grpc::Status WatchBedBoard(grpc::ServerContext*, const gv1::BedBoardRequest*,
                             grpc::ServerWriter<gv1::WardStatus>*) override;
  grpc::Status GetBedRequest(grpc::ServerContext*, const gv1::GetBedRequestRequest*, gv1::BedRequestReply*) override;
  grpc::Status GetDoorToTreatment(grpc::ServerContext*, const gv1::DoorToTreatmentRequest*,
                                  gv1::DoorToTreatmentReport*) override;

 private:
  // The caller and its Call (idempotency scoped by subject) for a command.
  absl::StatusOr<Call> CallOf(const grpc::ServerContext& ctx, const google::protobuf::Message& req,
                              const std::string& request_id) const;
  // Redirect, milestone, close: authenticate, answer a retry, check the caller may act on
  // the case, then `run`.
  grpc::Status CaseCommand(grpc::ServerContext* ctx, const google::protobuf::Message& req, const std::string& request_id,
                           const std::string& case_id, gv1::CaseReply* out,
                           const std::function<absl::StatusOr<gv1::CaseReply>(const Call&)>& run);
  // May `who` act on (or read) this case? PERMISSION_DENIED, or NOT_FOUND for others.
  absl::StatusOr<gv1::CaseReply> CaseFor(const common::Principal& who, const std::string& case_id, bool read) const;
  // The reply's identity view: shown to dispatch and the destination's clinicians.
  void ShowIdentity(const common::Principal& who, gv1::CaseReply& reply) const;
  // The wards a board request selects, as a filter.
  absl::StatusOr<std::function<bool(const gv1::WardStatus&)>> BoardFilter(const gv1::BedBoardRequest& req) const;

  eventstore::Journal* journal_;
  const BoardView* view_;
  BoardWriter* writer_;
  const registry_model::RegistryView* registry_;
  const host::Authenticator* auth_;
  privacy::KeyVault* vault_;
  std::atomic<bool> stopping_{false};
};

}  // namespace yilian::greenchannel
