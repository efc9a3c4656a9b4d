#include "registry_service.h"

#include "yilian/common/uuid.h"
#include "yilian/host/grpc_status.h"

namespace yilian::registry {

namespace dr = ::yilian::domain::registry;
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

std::string CorrelationId(const grpc::ServerContext& ctx) {
  auto it = ctx.client_metadata().find("x-correlation-id");
  if (it != ctx.client_metadata().end() && it->second.size() <= 128) return std::string(it->second.data(), it->second.size());
  return common::NewUuid();
}

}  // namespace

absl::Status RegistryService::Read(const grpc::ServerContext& ctx) const {
  auto who = auth_->Authenticate(ctx);
  if (!who.ok()) return who.status();
  switch (who->role) {
    case common::Role::ROLE_CONSORTIUM_ADMIN:
    case common::Role::ROLE_SERVICE:
    case common::Role::ROLE_AUDITOR: return absl::OkStatus();
    default: break;
  }
  if (who->institution_id.empty() || view_->ConsortiaOf(who->institution_id).empty())
    return absl::PermissionDeniedError(absl::StrCat("\"", who->subject,
                                                    "\" does not act for a member institution of any consortium"));
  return absl::OkStatus();
}

template <typename Reply, typename State>
grpc::Status RegistryService::Command(
    grpc::ServerContext* ctx, const google::protobuf::Message& request, const Target& target,
    absl::StatusOr<std::optional<Reply>> row, State* (Reply::*field)(),
    const std::function<absl::StatusOr<dr::Events>(const std::optional<State>&)>& decide, Reply* out) {
  auto who = auth_->Authenticate(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (who->role != common::Role::ROLE_CONSORTIUM_ADMIN)
    return ToGrpcStatus(absl::PermissionDeniedError("registry changes need the CONSORTIUM_ADMIN role"));
  if (!target.valid.ok()) return ToGrpcStatus(target.valid);
  if (target.expected_version < 0) return ToGrpcStatus(absl::InvalidArgumentError("expected_version must not be negative"));
  std::string key, fingerprint;
  if (!target.request_id->empty()) {
    if (target.request_id->size() > 128) return ToGrpcStatus(absl::InvalidArgumentError("request_id is longer than 128"));
    key = absl::StrCat("registry/", who->subject, "/", *target.request_id);
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

// ---- institutions ----

grpc::Status RegistryService::RegisterInstitution(grpc::ServerContext* ctx, const rv1::RegisterInstitutionRequest* req,
                                                  rv1::InstitutionReply* out) {
  const auto& d = req->institution();
  return Command<rv1::InstitutionReply, rv1::Institution>(
      ctx, *req, {dr::kInstitution, d.institution_id(), 0, &req->request_id(), dr::CheckId("institution_id", d.institution_id())},
      view_->Institution(d.institution_id()), &rv1::InstitutionReply::mutable_institution,
      [&](const auto& st) { return dr::RegisterInstitution(st, d); }, out);
}

grpc::Status RegistryService::UpdateInstitution(grpc::ServerContext* ctx, const rv1::UpdateInstitutionRequest* req,
                                                rv1::InstitutionReply* out) {
  const auto& d = req->institution();
  return Command<rv1::InstitutionReply, rv1::Institution>(
      ctx, *req,
      {dr::kInstitution, d.institution_id(), req->expected_version(), &req->request_id(),
       dr::CheckId("institution_id", d.institution_id())},
      view_->Institution(d.institution_id()), &rv1::InstitutionReply::mutable_institution,
      [&](const auto& st) { return dr::UpdateInstitution(st, d); }, out);
}

grpc::Status RegistryService::SuspendInstitution(grpc::ServerContext* ctx, const rv1::SuspendInstitutionRequest* req,
                                                 rv1::InstitutionReply* out) {
  return Command<rv1::InstitutionReply, rv1::Institution>(
      ctx, *req,
      {dr::kInstitution, req->institution_id(), req->expected_version(), &req->request_id(),
       dr::CheckId("institution_id", req->institution_id())},
      view_->Institution(req->institution_id()), &rv1::InstitutionReply::mutable_institution,
      [&](const auto& st) { return dr::SuspendInstitution(st, req->reason()); }, out);
}

grpc::Status RegistryService::ReactivateInstitution(grpc::ServerContext* ctx, const rv1::ReactivateInstitutionRequest* req,
                                                    rv1::InstitutionReply* out) {
  return Command<rv1::InstitutionReply, rv1::Institution>(
      ctx, *req,
      {dr::kInstitution, req->institution_id(), req->expected_version(), &req->request_id(),
       dr::CheckId("institution_id", req->institution_id())},
      view_->Institution(req->institution_id()), &rv1::InstitutionReply::mutable_institution,
      [&](const auto& st) { return dr::ReactivateInstitution(st); }, out);
}

// ---- consortia ----

grpc::Status RegistryService::FormConsortium(grpc::ServerContext* ctx, const rv1::FormConsortiumRequest* req,
                                             rv1::ConsortiumReply* out) {
  const auto& d = req->consortium();
  return Command<rv1::ConsortiumReply, rv1::Consortium>(
      ctx, *req, {dr::kConsortium, d.consortium_id(), 0, &req->request_id(), dr::CheckId("consortium_id", d.consortium_id())},
      view_->Consortium(d.consortium_id()), &rv1::ConsortiumReply::mutable_consortium,
      [&](const auto& st) { return dr::FormConsortium(st, d, *view_); }, out);
}

grpc::Status RegistryService::AddConsortiumMember(grpc::ServerContext* ctx, const rv1::ConsortiumMemberRequest* req,
                                                  rv1::ConsortiumReply* out) {
  return Command<rv1::ConsortiumReply, rv1::Consortium>(
      ctx, *req,
      {dr::kConsortium, req->consortium_id(), req->expected_version(), &req->request_id(),
       dr::CheckId("consortium_id", req->consortium_id())},
      view_->Consortium(req->consortium_id()), &rv1::ConsortiumReply::mutable_consortium,
      [&](const auto& st) { return dr::AddMember(st, req->institution_id(), *view_); }, out);
}

grpc::Status RegistryService::RemoveConsortiumMember(grpc::ServerContext* ctx, const rv1::ConsortiumMemberRequest* req,
                                                     rv1::ConsortiumReply* out) {
  return Command<rv1::ConsortiumReply, rv1::Consortium>(
      ctx, *req,
      {dr::kConsortium, req->consortium_id(), req->expected_version(), &req->request_id(),
       dr::CheckId("consortium_id", req->consortium_id())},
      view_->Consortium(req->consortium_id()), &rv1::ConsortiumReply::mutable_consortium,
      [&](const auto& st) { return dr::RemoveMember(st, req->institution_id()); }, out);
}

// ---- wards ----

grpc::Status RegistryService::DefineWard(grpc::ServerContext* ctx, const rv1::DefineWardRequest* req, rv1::WardReply* out) {
  const auto& d = req->ward();
  absl::Status valid = dr::CheckId("institution_id", d.institution_id());
  if (valid.ok()) valid = dr::CheckId("ward_id", d.ward_id());
  return Command<rv1::WardReply, rv1::Ward>(
      ctx, *req, {dr::kWard, dr::WardAggregateId(d.institution_id(), d.ward_id()), 0, &req->request_id(), valid},
      view_->Ward(d.institution_id(), d.ward_id()), &rv1::WardReply::mutable_ward,
      [&](const auto& st) { return dr::DefineWard(st, d, *view_); }, out);
}

grpc::Status RegistryService::ChangeWardCapacity(grpc::ServerContext* ctx, const rv1::ChangeWardCapacityRequest* req,
                                                 rv1::WardReply* out) {
  absl::Status valid = dr::CheckId("institution_id", req->institution_id());
  if (valid.ok()) valid = dr::CheckId("ward_id", req->ward_id());
  return Command<rv1::WardReply, rv1::Ward>(
      ctx, *req,
      {dr::kWard, dr::WardAggregateId(req->institution_id(), req->ward_id()), req->expected_version(),
       &req->request_id(), valid},
      view_->Ward(req->institution_id(), req->ward_id()), &rv1::WardReply::mutable_ward,
      [&](const auto& st) { return dr::ChangeWardCapacity(st, req->capacity(), req->emergency_reserved()); }, out);
}

// ---- expert sessions ----

grpc::Status RegistryService::PublishExpertSession(grpc::ServerContext* ctx, const rv1::PublishExpertSessionRequest* req,
                                                   rv1::ExpertSessionReply* out) {
  const auto& d = req->session();
  return Command<rv1::ExpertSessionReply, rv1::ExpertSession>(
      ctx, *req, {dr::kExpertSession, d.session_id(), 0, &req->request_id(), dr::CheckId("session_id", d.session_id())},
      view_->Session(d.session_id()), &rv1::ExpertSessionReply::mutable_session,
      [&](const auto& st) { return dr::PublishExpertSession(st, d, *view_); }, out);
}

grpc::Status RegistryService::CancelExpertSession(grpc::ServerContext* ctx, const rv1::CancelExpertSessionRequest* req,
                                                  rv1::ExpertSessionReply* out) {
  return Command<rv1::ExpertSessionReply, rv1::ExpertSession>(
      ctx, *req,
      {dr::kExpertSession, req->session_id(), req->expected_version(), &req->request_id(),
       dr::CheckId("session_id", req->session_id())},
      view_->Session(req->session_id()), &rv1::ExpertSessionReply::mutable_session,
      [&](const auto& st) { return dr::CancelExpertSession(st, req->reason()); }, out);
}

// ---- residents ----

grpc::Status RegistryService::EnrolResident(grpc::ServerContext* ctx, const rv1::EnrolResidentRequest* req,
                                            rv1::ResidentReply* out) {
  const auto& d = req->resident();
  return Command<rv1::ResidentReply, rv1::Resident>(
      ctx, *req, {dr::kResident, d.patient().value(), 0, &req->request_id(), dr::CheckPatientRef(d.patient())},
      view_->Resident(d.patient().value()), &rv1::ResidentReply::mutable_resident,
      [&](const auto& st) { return dr::EnrolResident(st, d, *view_); }, out);
}

grpc::Status RegistryService::MoveResident(grpc::ServerContext* ctx, const rv1::MoveResidentRequest* req,
                                           rv1::ResidentReply* out) {
  return Command<rv1::ResidentReply, rv1::Resident>(
      ctx, *req,
      {dr::kResident, req->patient().value(), req->expected_version(), &req->request_id(),
       dr::CheckPatientRef(req->patient())},
      view_->Resident(req->patient().value()), &rv1::ResidentReply::mutable_resident,
      [&](const auto& st) { return dr::MoveResident(st, req->to_institution_id(), req->team(), *view_); }, out);
}

grpc::Status RegistryService::EndResident(grpc::ServerContext* ctx, const rv1::EndResidentRequest* req,
                                          rv1::ResidentReply* out) {
  return Command<rv1::ResidentReply, rv1::Resident>(
      ctx, *req,
      {dr::kResident, req->patient().value(), req->expected_version(), &req->request_id(),
       dr::CheckPatientRef(req->patient())},
      view_->Resident(req->patient().value()), &rv1::ResidentReply::mutable_resident,
      [&](const auto& st) { return dr::EndResident(st, req->reason()); }, out);
}

}  // namespace yilian::registry
