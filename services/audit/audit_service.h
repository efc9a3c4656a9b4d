#pragma once
// The audit service's gRPC adapter (yilian.audit.v1.Audit). Every RPC is for AUDITOR
// principals only (others PERMISSION_DENIED), and every call is recorded in the archive as an
// AuditCallRecorded event (who, what, when) — durably, before anything is served — so it is
// replayable like any other event. Thread-safe. Borrows all parts.

#include "archive_model.h"
#include "archiver.h"
#include "call_record.h"
#include "yilian/audit/v1/audit.grpc.pb.h"
#include "yilian/bus/event_source.h"
#include "yilian/host/authenticator.h"

namespace yilian::audit {

class AuditService final : public v1::Audit::Service {
 public:
  AuditService(const eventstore::Journal* journal, const ArchiveView* view, Archiver* archiver, CallRecorder* calls,
               bus::EventSource* feed, const host::Authenticator* auth)
      : journal_(journal), view_(view), archiver_(archiver), calls_(calls), feed_(feed), auth_(auth) {}

  grpc::Status Replay(grpc::ServerContext*, const v1::ReplayRequest*, grpc::ServerWriter<v1::ReplayBatch>*) override;
  grpc::Status StateAsOf(grpc::ServerContext*, const v1::StateAsOfRequest*, v1::StateAsOfResponse*) override;
  grpc::Status Verify(grpc::ServerContext*, const v1::VerifyRequest*, v1::VerifyResponse*) override;
  grpc::Status Export(grpc::ServerContext*, const v1::ExportRequest*, grpc::ServerWriter<v1::ExportChunk>*) override;
  grpc::Status GetComplianceReport(grpc::ServerContext*, const v1::ComplianceRequest*, v1::ComplianceReport*) override;

 private:
  // An AUDITOR principal, or PERMISSION_DENIED (UNAUTHENTICATED without credentials).
  absl::StatusOr<common::Principal> Auditor(const grpc::ServerContext& ctx) const;
  // The auditor, its request checked by `check` (the role first: a caller refused learns
  // nothing), and the call recorded before it is served.
  absl::Status Admit(const grpc::ServerContext& ctx, const char* call, const google::protobuf::Message& req,
                     const absl::Status& check, const std::string& patient = "");

  const eventstore::Journal* journal_;
  const ArchiveView* view_;
  Archiver* archiver_;
  CallRecorder* calls_;
  bus::EventSource* feed_;
  const host::Authenticator* auth_;
};

}  // namespace yilian::audit
