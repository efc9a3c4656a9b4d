#pragma once
// The green channel's gRPC adapter (yilian.greenchannel.v1.GreenChannel): authenticates, checks
// the caller's role (domain::greenchannel access; docs/ROLES.md), turns a command into a
// command::Call (idempotency scoped by caller) for CaseCommands or BedCommands, and a read into
// a BoardQueries call. A sync service: a case's placement may be decided again when the board
// moved, which needs a thread, and placement is CPU work the callback API would not make cheaper.
//
// Thread-safe. Borrows all parts.

#include "bed_commands.h"
#include "board_queries.h"
#include "case_commands.h"
#include "inbound_queries.h"
#include "yilian/command/reveal_record.h"
#include "yilian/greenchannel/v1/greenchannel.grpc.pb.h"
#include "yilian/host/authenticator.h"
#include "yilian/host/stream_slot.h"
#include "yilian/registry_model/registry_model.h"

namespace yilian::greenchannel {

class GreenChannelService final : public v1::GreenChannel::Service {
 public:
  GreenChannelService(CaseCommands* cases, BedCommands* beds, BoardQueries* queries, InboundQueries* inbound,
                      command::RevealRecorder* reveals, const registry_model::RegistryView* registry,
                      const host::Authenticator* auth)
      : cases_(cases),
        beds_(beds),
        queries_(queries),
        inbound_(inbound),
        reveals_(reveals),
        registry_(registry),
        auth_(auth) {}

  // Open WatchBedBoard and WatchInboundCases streams, together: each holds a server thread.
  static constexpr int kMaxWatches = 64;

  using Ctx = grpc::ServerContext;
  grpc::Status OpenCase(Ctx*, const v1::OpenCaseRequest*, v1::CaseReply*) override;
  grpc::Status RedirectCase(Ctx*, const v1::RedirectCaseRequest*, v1::CaseReply*) override;
  grpc::Status RecordMilestone(Ctx*, const v1::RecordMilestoneRequest*, v1::CaseReply*) override;
  grpc::Status CloseCase(Ctx*, const v1::CloseCaseRequest*, v1::CaseReply*) override;
  grpc::Status AcknowledgeCase(Ctx*, const v1::AcknowledgeCaseRequest*, v1::CaseReply*) override;
  grpc::Status ListInboundCases(Ctx*, const v1::ListInboundCasesRequest*, v1::ListCasesResponse*) override;
  grpc::Status WatchInboundCases(Ctx*, const v1::WatchInboundCasesRequest*,
                                 grpc::ServerWriter<v1::InboundCaseChange>*) override;
  grpc::Status GetCase(Ctx*, const v1::GetCaseRequest*, v1::CaseDetail*) override;
  grpc::Status ListOpenCases(Ctx*, const v1::ListOpenCasesRequest*, v1::ListCasesResponse*) override;
  grpc::Status Discharge(Ctx*, const v1::DischargeRequest*, v1::WardStatus*) override;
  grpc::Status GetBedBoard(Ctx*, const v1::BedBoardRequest*, v1::BedBoard*) override;
  grpc::Status WatchBedBoard(Ctx*, const v1::BedBoardRequest*, grpc::ServerWriter<v1::WardStatus>*) override;
  grpc::Status GetBedRequest(Ctx*, const v1::GetBedRequestRequest*, v1::BedRequestReply*) override;
  grpc::Status GetDoorToTreatment(Ctx*, const v1::DoorToTreatmentRequest*, v1::DoorToTreatmentReport*) override;

 private:
  // The authenticated caller, unless its institution is suspended (Active).
  absl::StatusOr<common::Principal> Who(const grpc::ServerContextBase& ctx) const;
  // PERMISSION_DENIED while the caller's institution is suspended (dgc::NotSuspended), asked
  // per call and per change a watch sends.
  absl::Status Active(const common::Principal& who) const;
  // The caller, if `may` lets it, and its call for `req` (request_id optional here).
  absl::StatusOr<command::Call> CallOf(const Ctx& ctx, const google::protobuf::Message& req,
                                       const std::string& request_id,
                                       absl::FunctionRef<absl::Status(const common::Principal&)> may) const;
  // A list of cases, answered once the identities it shows are on record.
  grpc::Status Listed(const Ctx& ctx, const common::Principal& who, const char* rpc,
                      absl::StatusOr<v1::ListCasesResponse> list, v1::ListCasesResponse* out);
  // What a case command's answers show the caller (its identity view).
  CaseCommands::Shape ShapeFor(const common::Principal& who) const;

  CaseCommands* cases_;
  BedCommands* beds_;
  BoardQueries* queries_;
  InboundQueries* inbound_;
  command::RevealRecorder* reveals_;              // GetCase and the case lists answer once their reveals are on record
  const registry_model::RegistryView* registry_;  // the registry mirror: is the caller's institution suspended?
  const host::Authenticator* auth_;
  std::atomic<int> open_watches_{0};
};

}  // namespace yilian::greenchannel
