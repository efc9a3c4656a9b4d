// ErasePatient: the right to erasure, by crypto-shredding. The registry destroys its own key
// for the patient first (the caller's intent holds even if the append then fails and is
// retried), then records PatientErased; the referral and green channel services destroy
// theirs when the event reaches them (registry_model::RegistryProjector::SetOnErased), and
// the audit marks the patient erased in every replay and export.
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "registry_service.h"
#include "yilian/domain/registry/access.h"
#include "yilian/host/grpc_status.h"

namespace yilian::registry {

namespace dr = ::yilian::domain::registry;
using host::ToGrpcStatus;

grpc::Status RegistryService::ErasePatient(grpc::ServerContext* ctx, const rv1::ErasePatientRequest* req,
                                           rv1::ErasePatientReply* out) {
  auto who = auth_->Authenticate(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (auto s = dr::MayChangeRegistry(*who); !s.ok()) return ToGrpcStatus(s);
  if (auto s = dr::CheckPatientRef(req->patient()); !s.ok()) return ToGrpcStatus(s);
  if (req->reason().empty() || req->reason().size() > 500)
    return ToGrpcStatus(absl::InvalidArgumentError("reason (the request or legal basis, 1..500) is required"));
  if (req->request_id().size() > 128) return ToGrpcStatus(absl::InvalidArgumentError("request_id is longer than 128"));
  if (!vault_) return ToGrpcStatus(absl::FailedPreconditionError("this registry keeps no patient keys"));
  const std::string& token = req->patient().value();
  std::string key, fingerprint;
  if (!req->request_id().empty()) {
    key = absl::StrCat("registry/", who->subject, std::string(1, '\0'), req->request_id());
    fingerprint = eventstore::RequestFingerprint(*req);
    auto prior = journal_->FindIdempotent(key, fingerprint);
    if (!prior.ok()) return ToGrpcStatus(prior.status());
    if (*prior) {
      out->ParseFromString((*prior)->response);
      return grpc::Status::OK;
    }
  }
  auto answer_existing = [&]() -> grpc::Status {
    auto row = view_->Erasure(token);
    if (!row.ok()) return ToGrpcStatus(row.status());
    if (!*row) return ToGrpcStatus(absl::AbortedError("the erasure is being recorded by another call; retry"));
    *out = std::move(**row);
    return grpc::Status::OK;
  };
  if (auto row = view_->Erasure(token); !row.ok() || *row) return answer_existing();  // erased already

  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  if (auto s = vault_->Erase(token, now_ms); !s.ok()) return ToGrpcStatus(s);
  rv1::PatientErased erased;
  *erased.mutable_patient() = req->patient();
  erased.set_reason(req->reason());
  erased.set_at_ms(now_ms);
  events::v1::Envelope env;
  env.set_event_type(erased.GetDescriptor()->full_name());
  env.set_schema_version(1);
  env.mutable_payload()->PackFrom(erased);
  *env.mutable_patient() = req->patient();
  rv1::ErasePatientReply reply;
  *reply.mutable_erasure() = erased;
  reply.set_version(1);

  eventstore::AppendRequest append;
  append.aggregate_type = dr::kPatient;
  append.aggregate_id = token;
  append.expected_version = eventstore::kNoStream;
  append.idempotency_key = key;
  append.request_hash = fingerprint;
  append.actor = *who;
  append.correlation_id = host::CorrelationId(*ctx);
  append.events.push_back(std::move(env));
  append.response = reply.SerializeAsString();
  auto r = journal_->Append(std::move(append));
  if (absl::IsAborted(r.status())) return answer_existing();  // a concurrent erasure won
  if (!r.ok()) return ToGrpcStatus(r.status());
  out->ParseFromString(r->response);
  return grpc::Status::OK;
}

}  // namespace yilian::registry
