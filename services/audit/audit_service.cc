#include "audit_service.h"

#include "absl/strings/str_cat.h"
#include "as_of.h"
#include "compliance.h"
#include "export.h"
#include "replay.h"
#include "source_check.h"
#include "yilian/common/status_macros.h"
#include "yilian/common/timestamp.h"
#include "yilian/host/answer.h"
#include "yilian/host/call_deadline.h"

namespace yilian::audit {

namespace av1 = ::yilian::audit::v1;

using host::ToGrpcStatus;

absl::StatusOr<common::Principal> AuditService::Auditor(const grpc::ServerContext& ctx) const {
  ASSIGN_OR_RETURN(auto who, auth_->Authenticate(ctx));
  if (who.role != common::Role::ROLE_AUDITOR)
    return absl::PermissionDeniedError(absl::StrCat("the audit archive is for AUDITOR principals; \"", who.subject,
                                                    "\" is ", common::RoleName(who.role)));
  return who;
}

absl::Status AuditService::Admit(const grpc::ServerContext& ctx, const char* call, const google::protobuf::Message& req,
                                 const absl::Status& check, const std::string& patient) {
  ASSIGN_OR_RETURN(auto who, Auditor(ctx));
  RETURN_IF_ERROR(check);
  return calls_->Record(who, host::CorrelationId(ctx), call, req, patient);
}

grpc::Status AuditService::Replay(grpc::ServerContext* ctx, const av1::ReplayRequest* req,
                                  grpc::ServerWriter<av1::ReplayBatch>* writer) {
  const std::string patient = req->has_patient() ? req->patient().value() : "";
  if (auto s = Admit(*ctx, "Replay", *req, CheckReplay(*req), patient); !s.ok()) return ToGrpcStatus(s);
  const absl::Time deadline = host::CallDeadline(*ctx);  // resumable with after_position
  bool expired = false;
  auto s = audit::Replay(*view_, *req, [&](const av1::ReplayBatch& batch) {
    if (absl::Now() >= deadline) return !(expired = true);
    return !ctx->IsCancelled() && writer->Write(batch);  // per batch: IsCancelled is dear
  });
  if (expired) return host::DeadlineReached();
  return ToGrpcStatus(s);
}

grpc::Status AuditService::StateAsOf(grpc::ServerContext* ctx, const av1::StateAsOfRequest* req,
                                     av1::StateAsOfResponse* out) {
  const absl::Status check = common::UnixMs(req->at()) <= 0 || req->what_case() == av1::StateAsOfRequest::WHAT_NOT_SET
                                 ? absl::InvalidArgumentError("say which state (referral_id, case_id or ward) and at")
                                 : absl::OkStatus();
  if (auto s = Admit(*ctx, "StateAsOf", *req, check); !s.ok()) return ToGrpcStatus(s);
  return host::Answer(audit::StateAsOf(*view_, *req), out);
}

grpc::Status AuditService::Verify(grpc::ServerContext* ctx, const av1::VerifyRequest* req, av1::VerifyResponse* out) {
  const absl::Status check = req->from_position() < 0 || req->to_position() < 0 ||
                                     (req->to_position() != 0 && req->to_position() < req->from_position())
                                 ? absl::InvalidArgumentError("positions must be >= 0 and to >= from")
                                 : absl::OkStatus();
  if (auto s = Admit(*ctx, "Verify", *req, check); !s.ok()) return ToGrpcStatus(s);
  return host::Answer(VerifyArchive(*journal_, *view_, archiver_, feed_, kSources, *req), out);
}

grpc::Status AuditService::Export(grpc::ServerContext* ctx, const av1::ExportRequest* req,
                                  grpc::ServerWriter<av1::ExportChunk>* writer) {
  const absl::Status check =
      req->from_position() < 0 || req->to_position() < 0 || !av1::ExportRequest::Format_IsValid(req->format())
          ? absl::InvalidArgumentError("positions must be >= 0 and the format JSON_LINES or RAW")
          : absl::OkStatus();
  if (auto s = Admit(*ctx, "Export", *req, check); !s.ok()) return ToGrpcStatus(s);
  const absl::Time deadline = host::CallDeadline(*ctx);
  bool expired = false;
  auto s = audit::Export(*view_, *req, [&](std::string data) {
    if (absl::Now() >= deadline) return !(expired = true);
    av1::ExportChunk c;
    c.set_data(std::move(data));
    return !ctx->IsCancelled() && writer->Write(c);
  });
  if (expired) return host::DeadlineReached();
  return ToGrpcStatus(s);
}

grpc::Status AuditService::GetComplianceReport(grpc::ServerContext* ctx, const av1::ComplianceRequest* req,
                                               av1::ComplianceReport* out) {
  const absl::Status check =
      common::UnixMs(req->time().to()) != 0 && common::UnixMs(req->time().to()) <= common::UnixMs(req->time().from())
          ? absl::InvalidArgumentError("time.to must be after time.from")
          : absl::OkStatus();
  if (auto s = Admit(*ctx, "GetComplianceReport", *req, check); !s.ok()) return ToGrpcStatus(s);
  return host::Answer(Compliance(*view_, req->time()), out);
}

}  // namespace yilian::audit
