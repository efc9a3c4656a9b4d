#include "audit_service.h"

#include <google/protobuf/util/json_util.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "as_of.h"
#include "compliance.h"
#include "export.h"
#include "source_check.h"
#include "yilian/common/status_macros.h"
#include "yilian/host/call_deadline.h"
#include "yilian/host/grpc_status.h"

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
                                 const std::string& patient) {
  ASSIGN_OR_RETURN(auto who, Auditor(ctx));
  return Record(ctx, who, call, req, patient);
}

absl::Status AuditService::Record(const grpc::ServerContext& ctx, const common::Principal& who, const char* call,
                                  const google::protobuf::Message& req, const std::string& patient) {
  av1::AuditCallRecorded rec;
  rec.set_call(call);
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(req, rec.mutable_parameters(), o);
  eventstore::AppendRequest a;
  a.aggregate_type = kAuditCall;
  a.aggregate_id = who.subject;
  a.actor = who;
  a.correlation_id = host::CorrelationId(ctx);
  events::v1::Envelope env;
  env.set_event_type(rec.GetDescriptor()->full_name());
  env.set_schema_version(1);
  env.mutable_payload()->PackFrom(rec);
  if (!patient.empty()) env.mutable_patient()->set_value(patient);  // who looked at this patient
  if (!who.institution_id.empty()) env.add_institution_ids(who.institution_id);
  a.events.push_back(std::move(env));
  return journal_->Append(std::move(a)).status();
}

grpc::Status AuditService::Replay(grpc::ServerContext* ctx, const av1::ReplayRequest* req,
                                  grpc::ServerWriter<av1::ReplayBatch>* writer) {
  auto who = Auditor(*ctx);  // the role first (docs/ROLES.md); the call is recorded once it is valid
  if (!who.ok()) return ToGrpcStatus(who.status());
  std::string prefix, start;
  const int64_t after = std::max<int64_t>(0, req->after_position());
  const std::string after_key = eventstore::EncodeU64(static_cast<uint64_t>(after + 1));
  switch (req->scope_case()) {
    case av1::ReplayRequest::kAggregate: {
      const auto& a = req->aggregate();
      if (a.source_service().empty() || a.aggregate_type().empty() || a.aggregate_id().empty())
        return ToGrpcStatus(
            absl::InvalidArgumentError("aggregate needs source_service, aggregate_type and aggregate_id"));
      prefix = AggregatePrefix(a.source_service(), a.aggregate_type(), a.aggregate_id());
      start = prefix + after_key;
      break;
    }
    case av1::ReplayRequest::kPatient:
      if (req->patient().value().empty()) return ToGrpcStatus(absl::InvalidArgumentError("patient is empty"));
      prefix = PatientPrefix(req->patient().value());
      start = prefix + after_key;
      break;
    case av1::ReplayRequest::kInstitutionId:
      if (req->institution_id().empty()) return ToGrpcStatus(absl::InvalidArgumentError("institution_id is empty"));
      prefix = InstitutionPrefix(req->institution_id());
      start = prefix + after_key;
      break;
    case av1::ReplayRequest::kTime:
      if (req->time().to_ms() != 0 && req->time().to_ms() <= req->time().from_ms())
        return ToGrpcStatus(absl::InvalidArgumentError("time.to_ms must be after time.from_ms"));
      break;
    default:
      return ToGrpcStatus(absl::InvalidArgumentError("say what to replay: aggregate, patient, institution_id or time"));
  }
  if (req->batch_size() < 0 || req->batch_size() > 5000)
    return ToGrpcStatus(absl::InvalidArgumentError("batch_size is 1..5000 (0: 1000)"));
  if (auto s = Record(*ctx, *who, "Replay", *req, req->has_patient() ? req->patient().value() : ""); !s.ok())
    return ToGrpcStatus(s);

  const size_t batch_size = req->batch_size() == 0 ? 1000 : static_cast<size_t>(req->batch_size());
  const std::set<std::string> types(req->event_types().begin(), req->event_types().end());
  auto wanted = [&](const std::string& type) {
    return types.empty() || types.count(type) || types.count(type.substr(type.rfind('.') + 1));
  };
  av1::ReplayBatch batch;
  bool gone = false, expired = false;
  const absl::Time deadline = host::CallDeadline(*ctx);  // resumable with after_position
  auto flush = [&] {
    if (batch.entries_size() == 0) return true;
    if (absl::Now() >= deadline) expired = gone = true;
    if (gone || ctx->IsCancelled() || !writer->Write(batch)) gone = true;  // per batch: IsCancelled is dear
    batch.Clear();
    return !gone;
  };
  auto take = [&](av1::Entry& e) {
    if (!wanted(e.event_type())) return true;
    *batch.add_entries() = std::move(e);
    return batch.entries_size() < static_cast<int>(batch_size) || flush();
  };
  absl::Status s;
  if (req->has_time()) {
    const auto& t = req->time();
    if (t.from_ms() == 0 && t.to_ms() == 0) {  // everything, in archive order: straight off the journal
      s = view_->ForEachEntry(after, take);
    } else {  // the time index, in recorded order; resumes after the entry at `after`
      start = TimeKey(t.from_ms(), 0);
      if (after > 0) {
        auto last = view_->At(after);
        if (last.ok() && last->entry.recorded_at_ms() >= t.from_ms())
          start = TimeKey(last->entry.recorded_at_ms(), after + 1);
      }
      s = view_->ForEachIndexedEntry("tm/", start, [&](av1::Entry& e) {
        if (t.to_ms() != 0 && e.recorded_at_ms() >= t.to_ms()) return false;
        return take(e);
      });
    }
  } else {
    s = view_->ForEachIndexedEntry(prefix, start, take);
  }
  if (!s.ok()) return ToGrpcStatus(s);
  if (!gone) flush();
  if (expired) return host::DeadlineReached();
  if (gone || ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
  return grpc::Status::OK;
}

grpc::Status AuditService::StateAsOf(grpc::ServerContext* ctx, const av1::StateAsOfRequest* req,
                                     av1::StateAsOfResponse* out) {
  auto who = Auditor(*ctx);  // the role first (docs/ROLES.md); the call is recorded once it is valid
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (req->at_ms() <= 0 || req->what_case() == av1::StateAsOfRequest::WHAT_NOT_SET)
    return ToGrpcStatus(absl::InvalidArgumentError("say which state (referral_id, case_id or ward) and at_ms"));
  if (auto s = Record(*ctx, *who, "StateAsOf", *req); !s.ok()) return ToGrpcStatus(s);
  auto r = audit::StateAsOf(*view_, *req);
  if (!r.ok()) return ToGrpcStatus(r.status());
  *out = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status AuditService::Verify(grpc::ServerContext* ctx, const av1::VerifyRequest* req, av1::VerifyResponse* out) {
  if (req->from_position() < 0 || req->to_position() < 0 ||
      (req->to_position() != 0 && req->to_position() < req->from_position()))
    return ToGrpcStatus(absl::InvalidArgumentError("positions must be >= 0 and to >= from"));
  if (auto s = Admit(*ctx, "Verify", *req); !s.ok()) return ToGrpcStatus(s);
  auto v = journal_->Verify(std::max<int64_t>(1, req->from_position()), req->to_position());
  if (!v.ok()) return ToGrpcStatus(v.status());
  out->set_intact(v->intact);
  out->set_checked(v->checked);
  out->set_head_position(v->head.sequence);
  out->set_head_hash(v->head.hash);
  out->set_bad_position(v->bad_sequence);
  out->set_problem(v->problem);
  if (req->check_sources() || req->repair_sources()) {
    auto reports = CheckSources(*view_, archiver_, feed_, req->repair_sources());
    if (!reports.ok()) return ToGrpcStatus(reports.status());
    for (auto& r : *reports) *out->add_sources() = std::move(r);
  }
  return grpc::Status::OK;
}

grpc::Status AuditService::Export(grpc::ServerContext* ctx, const av1::ExportRequest* req,
                                  grpc::ServerWriter<av1::ExportChunk>* writer) {
  if (req->from_position() < 0 || req->to_position() < 0 || !av1::ExportRequest::Format_IsValid(req->format()))
    return ToGrpcStatus(absl::InvalidArgumentError("positions must be >= 0 and the format JSON_LINES or RAW"));
  if (auto s = Admit(*ctx, "Export", *req); !s.ok()) return ToGrpcStatus(s);
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
  if (req->time().to_ms() != 0 && req->time().to_ms() <= req->time().from_ms())
    return ToGrpcStatus(absl::InvalidArgumentError("time.to_ms must be after time.from_ms"));
  if (auto s = Admit(*ctx, "GetComplianceReport", *req); !s.ok()) return ToGrpcStatus(s);
  auto r = Compliance(*view_, req->time());
  if (!r.ok()) return ToGrpcStatus(r.status());
  *out = std::move(*r);
  return grpc::Status::OK;
}

}  // namespace yilian::audit
