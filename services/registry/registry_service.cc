#include "registry_service.h"

#include "yilian/domain/registry/access.h"
#include "yilian/host/grpc_status.h"
#include "yilian/privacy/identity.h"

namespace yilian::registry {

namespace dr = ::yilian::domain::registry;
using host::CorrelationId;
using host::ToGrpcStatus;

namespace {

// Institutions an event concerns, for the envelope's audit index.
std::vector<std::string> InstitutionsOf(const rv1::Institution& s) { return {s.institution_id()}; }
std::vector<std::string> InstitutionsOf(const rv1::Ward& s) { return {s.institution_id()}; }
std::vector<std::string> InstitutionsOf(const rv1::Resident& s) { return {s.family_doctor_institution_id()}; }
std::vector<std::string> InstitutionsOf(const rv1::Consortium& s) {
  return {s.member_ids().begin(), s.member_ids().end()};
}
std::vector<std::string> InstitutionsOf(const rv1::ExpertSession& s) {
  std::vector<std::string> out{s.institution_id()};
  for (const auto& q : s.reserved()) out.push_back(q.institution_id());
  return out;
}
void IndexPatient(const rv1::Resident& s, events::v1::Envelope& env) { *env.mutable_patient() = s.patient(); }
template <typename State>
void IndexPatient(const State&, events::v1::Envelope&) {}

}  // namespace

absl::StatusOr<common::Principal> RegistryService::Read(const grpc::ServerContext& ctx) const {
  auto who = auth_->Authenticate(ctx);
  if (!who.ok()) return who.status();
  if (auto s = dr::MayReadRegistry(*who, *view_); !s.ok()) return s;
  return who;
}

void RegistryService::ShowIdentity(const common::Principal& who, rv1::ResidentReply& reply) const {
  const auto& r = reply.resident();
  if (!vault_ || !r.has_sealed_identity()) return;
  *reply.mutable_identity() =
      privacy::RevealIdentity(*vault_, r.patient(), r.sealed_identity(), dr::MaySeeResidentIdentity(who, r));
}

template <typename Reply, typename State>
grpc::Status RegistryService::Command(
    grpc::ServerContext* ctx, const google::protobuf::Message& request, const Target& target,
    absl::StatusOr<std::optional<Reply>> row, State* (Reply::*field)(),
    const std::function<absl::StatusOr<dr::Events>(const std::optional<State>&)>& decide, Reply* out) {
  auto who = auth_->Authenticate(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (auto s = dr::MayChangeRegistry(*who); !s.ok()) return ToGrpcStatus(s);
  if (!target.valid.ok()) return ToGrpcStatus(target.valid);
  if (target.expected_version < 0) return ToGrpcStatus(absl::InvalidArgumentError("expected_version must not be negative"));
  std::string key, fingerprint;
  if (!target.request_id->empty()) {
    if (target.request_id->size() > 128) return ToGrpcStatus(absl::InvalidArgumentError("request_id is longer than 128"));
    key = absl::StrCat("registry/", who->subject, std::string(1, '\0'), *target.request_id);  // NUL: no collisions
    fingerprint = eventstore::RequestFingerprint(request);
    auto prior = journal_->FindIdempotent(key, fingerprint);
    if (!prior.ok()) return ToGrpcStatus(prior.status());
    if (*prior) {
      out->ParseFromString((*prior)->response);
      return grpc::Status::OK;
    }
  }
  if (!row.ok()) return ToGrpcStatus(row.status());
  Reply current;
  std::optional<State> state;
  if (*row) {
    current = **row;
    state = *(current.*field)();
  }
  const int64_t version = current.version();
  if (target.expected_version > 0 && target.expected_version != version)
    return ToGrpcStatus(absl::AbortedError(absl::StrCat(target.type, " \"", target.id, "\" is at version ", version,
                                                        ", not ", target.expected_version, "; re-read and retry")));
  auto events = decide(state);
  if (!events.ok()) return ToGrpcStatus(events.status());
  if (events->empty()) {  // nothing to change
    *out = current;
    return grpc::Status::OK;
  }
  eventstore::AppendRequest req;
  req.aggregate_type = target.type;
  req.aggregate_id = target.id;
  req.expected_version = version == 0 ? eventstore::kNoStream : version;
  req.idempotency_key = key;
  req.request_hash = fingerprint;
  req.actor = *who;
  req.correlation_id = CorrelationId(*ctx);
  std::optional<State> next = state;
  for (const auto& e : *events) {
    if (auto s = dr::Evolve(next, e); !s.ok()) return ToGrpcStatus(absl::InternalError(s.ToString()));
    events::v1::Envelope env;
    const auto& payload = dr::Payload(e);
    env.set_event_type(payload.GetDescriptor()->full_name());
    env.set_schema_version(1);
    env.mutable_payload()->PackFrom(payload);
    for (auto& id : InstitutionsOf(*next)) env.add_institution_ids(std::move(id));
    IndexPatient(*next, env);
    req.events.push_back(std::move(env));
  }
  Reply reply;
  *(reply.*field)() = *next;
  reply.set_version(version + static_cast<int64_t>(events->size()));
  req.response = reply.SerializeAsString();
  auto r = journal_->Append(std::move(req));
  if (!r.ok()) return ToGrpcStatus(r.status());
  out->ParseFromString(r->response);
  return grpc::Status::OK;
}

// ---- one entry per aggregate type ----

grpc::Status RegistryService::OnInstitution(grpc::ServerContext* ctx, const google::protobuf::Message& req,
                                            const std::string& id, int64_t expected, const std::string& request_id,
                                            const Decide<rv1::Institution>& decide, rv1::InstitutionReply* out) {
  return Command(ctx, req, {dr::kInstitution, id, expected, &request_id, dr::CheckId("institution_id", id)},
                 view_->Institution(id), &rv1::InstitutionReply::mutable_institution, decide, out);
}

grpc::Status RegistryService::OnConsortium(grpc::ServerContext* ctx, const google::protobuf::Message& req,
                                           const std::string& id, int64_t expected, const std::string& request_id,
                                           const Decide<rv1::Consortium>& decide, rv1::ConsortiumReply* out) {
  return Command(ctx, req, {dr::kConsortium, id, expected, &request_id, dr::CheckId("consortium_id", id)},
                 view_->Consortium(id), &rv1::ConsortiumReply::mutable_consortium, decide, out);
}

grpc::Status RegistryService::OnWard(grpc::ServerContext* ctx, const google::protobuf::Message& req,
                                     const std::string& institution_id, const std::string& ward_id, int64_t expected,
                                     const std::string& request_id, const Decide<rv1::Ward>& decide,
                                     rv1::WardReply* out) {
  absl::Status valid = dr::CheckId("institution_id", institution_id);
  if (valid.ok()) valid = dr::CheckId("ward_id", ward_id);
  return Command(ctx, req, {dr::kWard, dr::WardAggregateId(institution_id, ward_id), expected, &request_id, valid},
                 view_->Ward(institution_id, ward_id), &rv1::WardReply::mutable_ward, decide, out);
}

grpc::Status RegistryService::OnSession(grpc::ServerContext* ctx, const google::protobuf::Message& req,
                                        const std::string& id, int64_t expected, const std::string& request_id,
                                        const Decide<rv1::ExpertSession>& decide, rv1::ExpertSessionReply* out) {
  return Command(ctx, req, {dr::kExpertSession, id, expected, &request_id, dr::CheckId("session_id", id)},
                 view_->Session(id), &rv1::ExpertSessionReply::mutable_session, decide, out);
}

grpc::Status RegistryService::OnResident(grpc::ServerContext* ctx, const google::protobuf::Message& req,
                                         const common::v1::PatientRef& patient, int64_t expected,
                                         const std::string& request_id, const Decide<rv1::Resident>& decide,
                                         rv1::ResidentReply* out) {
  auto status = Command(ctx, req, {dr::kResident, patient.value(), expected, &request_id, dr::CheckPatientRef(patient)},
                        view_->Resident(patient.value()), &rv1::ResidentReply::mutable_resident, decide, out);
  if (status.ok()) ShowIdentity(common::Principal{"", "", common::Role::ROLE_CONSORTIUM_ADMIN}, *out);  // writes: admins only
  return status;
}

// ---- the write RPCs ----

grpc::Status RegistryService::RegisterInstitution(grpc::ServerContext* ctx, const rv1::RegisterInstitutionRequest* req,
                                                  rv1::InstitutionReply* out) {
  const auto& d = req->institution();
  return OnInstitution(ctx, *req, d.institution_id(), 0, req->request_id(),
                       [&](const auto& st) { return dr::RegisterInstitution(st, d); }, out);
}

grpc::Status RegistryService::UpdateInstitution(grpc::ServerContext* ctx, const rv1::UpdateInstitutionRequest* req,
                                                rv1::InstitutionReply* out) {
  const auto& d = req->institution();
  return OnInstitution(ctx, *req, d.institution_id(), req->expected_version(), req->request_id(),
                       [&](const auto& st) { return dr::UpdateInstitution(st, d); }, out);
}

grpc::Status RegistryService::SuspendInstitution(grpc::ServerContext* ctx, const rv1::SuspendInstitutionRequest* req,
                                                 rv1::InstitutionReply* out) {
  return OnInstitution(ctx, *req, req->institution_id(), req->expected_version(), req->request_id(),
                       [&](const auto& st) { return dr::SuspendInstitution(st, req->reason()); }, out);
}

grpc::Status RegistryService::ReactivateInstitution(grpc::ServerContext* ctx,
                                                    const rv1::ReactivateInstitutionRequest* req,
                                                    rv1::InstitutionReply* out) {
  return OnInstitution(ctx, *req, req->institution_id(), req->expected_version(), req->request_id(),
                       [&](const auto& st) { return dr::ReactivateInstitution(st); }, out);
}

grpc::Status RegistryService::FormConsortium(grpc::ServerContext* ctx, const rv1::FormConsortiumRequest* req,
                                             rv1::ConsortiumReply* out) {
  const auto& d = req->consortium();
  return OnConsortium(ctx, *req, d.consortium_id(), 0, req->request_id(),
                      [&](const auto& st) { return dr::FormConsortium(st, d, *view_); }, out);
}

grpc::Status RegistryService::AddConsortiumMember(grpc::ServerContext* ctx, const rv1::ConsortiumMemberRequest* req,
                                                  rv1::ConsortiumReply* out) {
  return OnConsortium(ctx, *req, req->consortium_id(), req->expected_version(), req->request_id(),
                      [&](const auto& st) { return dr::AddMember(st, req->institution_id(), *view_); }, out);
}

grpc::Status RegistryService::RemoveConsortiumMember(grpc::ServerContext* ctx, const rv1::ConsortiumMemberRequest* req,
                                                     rv1::ConsortiumReply* out) {
  return OnConsortium(ctx, *req, req->consortium_id(), req->expected_version(), req->request_id(),
                      [&](const auto& st) { return dr::RemoveMember(st, req->institution_id()); }, out);
}

grpc::Status RegistryService::DefineWard(grpc::ServerContext* ctx, const rv1::DefineWardRequest* req, rv1::WardReply* out) {
  const auto& d = req->ward();
  return OnWard(ctx, *req, d.institution_id(), d.ward_id(), 0, req->request_id(),
                [&](const auto& st) { return dr::DefineWard(st, d, *view_); }, out);
}

grpc::Status RegistryService::ChangeWardCapacity(grpc::ServerContext* ctx, const rv1::ChangeWardCapacityRequest* req,
                                                 rv1::WardReply* out) {
  return OnWard(ctx, *req, req->institution_id(), req->ward_id(), req->expected_version(), req->request_id(),
                [&](const auto& st) { return dr::ChangeWardCapacity(st, req->capacity(), req->emergency_reserved()); },
                out);
}

grpc::Status RegistryService::PublishExpertSession(grpc::ServerContext* ctx, const rv1::PublishExpertSessionRequest* req,
                                                   rv1::ExpertSessionReply* out) {
  const auto& d = req->session();
  return OnSession(ctx, *req, d.session_id(), 0, req->request_id(),
                   [&](const auto& st) { return dr::PublishExpertSession(st, d, *view_); }, out);
}

grpc::Status RegistryService::CancelExpertSession(grpc::ServerContext* ctx, const rv1::CancelExpertSessionRequest* req,
                                                  rv1::ExpertSessionReply* out) {
  return OnSession(ctx, *req, req->session_id(), req->expected_version(), req->request_id(),
                   [&](const auto& st) { return dr::CancelExpertSession(st, req->reason()); }, out);
}

grpc::Status RegistryService::EnrolResident(grpc::ServerContext* ctx, const rv1::EnrolResidentRequest* req,
                                            rv1::ResidentReply* out) {
  rv1::Resident d = req->resident();
  d.clear_sealed_identity();  // read-only: only what this service sealed is ever stored
  return OnResident(ctx, *req, d.patient(), 0, req->request_id(),
                    [&](const auto& st) -> absl::StatusOr<dr::Events> {
                      auto events = dr::EnrolResident(st, d, *view_);  // the rules first: no key for a refused call
                      if (!events.ok() || privacy::IsEmpty(req->identity())) return events;
                      if (!vault_) return absl::FailedPreconditionError("this registry keeps no patient keys");
                      auto sealed = privacy::SealIdentity(*vault_, d.patient(), req->identity());
                      if (!sealed.ok()) return sealed.status();
                      for (auto& e : *events)
                        if (e.has_resident_enrolled())
                          *e.mutable_resident_enrolled()->mutable_resident()->mutable_sealed_identity() = **sealed;
                      return events;
                    }, out);
}

grpc::Status RegistryService::MoveResident(grpc::ServerContext* ctx, const rv1::MoveResidentRequest* req,
                                           rv1::ResidentReply* out) {
  return OnResident(ctx, *req, req->patient(), req->expected_version(), req->request_id(),
                    [&](const auto& st) { return dr::MoveResident(st, req->to_institution_id(), req->team(), *view_); },
                    out);
}

grpc::Status RegistryService::EndResident(grpc::ServerContext* ctx, const rv1::EndResidentRequest* req,
                                          rv1::ResidentReply* out) {
  return OnResident(ctx, *req, req->patient(), req->expected_version(), req->request_id(),
                    [&](const auto& st) { return dr::EndResident(st, req->reason()); }, out);
}

}  // namespace yilian::registry
