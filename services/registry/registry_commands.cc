#include "registry_commands.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "yilian/common/status_macros.h"
#include "yilian/domain/registry/access.h"
#include "yilian/privacy/identity.h"

namespace yilian::registry {

namespace dreg = ::yilian::domain::registry;
namespace rv1 = ::yilian::registry::v1;
using command::Call;

namespace {

// The institutions an event concerns, for the envelope's audit index (the state after it).
void AddInstitutions(const std::vector<std::string>& ids, events::v1::Envelope& env) {
  for (const auto& id : ids) env.add_institution_ids(id);
}
void IndexInstitution(const rv1::RegistryEvent&, const rv1::Institution*, const rv1::Institution& s,
                      events::v1::Envelope& env) {
  env.add_institution_ids(s.institution_id());
}
void IndexConsortium(const rv1::RegistryEvent&, const rv1::Consortium*, const rv1::Consortium& s,
                     events::v1::Envelope& env) {
  AddInstitutions({s.member_ids().begin(), s.member_ids().end()}, env);
}
void IndexWard(const rv1::RegistryEvent&, const rv1::Ward*, const rv1::Ward& s, events::v1::Envelope& env) {
  env.add_institution_ids(s.institution_id());
}
void IndexSession(const rv1::RegistryEvent&, const rv1::ExpertSession*, const rv1::ExpertSession& s,
                  events::v1::Envelope& env) {
  env.add_institution_ids(s.institution_id());
  for (const auto& q : s.reserved()) env.add_institution_ids(q.institution_id());
}
void IndexResident(const rv1::RegistryEvent&, const rv1::Resident*, const rv1::Resident& s, events::v1::Envelope& env) {
  env.add_institution_ids(s.family_doctor_institution_id());
  *env.mutable_patient() = s.patient();
}
void IndexErasure(const rv1::RegistryEvent&, const rv1::PatientErased*, const rv1::PatientErased& s,
                  events::v1::Envelope& env) {
  *env.mutable_patient() = s.patient();
}

const command::Kind<rv1::Institution, rv1::RegistryEvent> kInstitutionKind{dreg::kInstitution, &dreg::Evolve,
                                                                           &IndexInstitution};
const command::Kind<rv1::Consortium, rv1::RegistryEvent> kConsortiumKind{dreg::kConsortium, &dreg::Evolve,
                                                                         &IndexConsortium};
const command::Kind<rv1::Ward, rv1::RegistryEvent> kWardKind{dreg::kWard, &dreg::Evolve, &IndexWard};
const command::Kind<rv1::ExpertSession, rv1::RegistryEvent> kSessionKind{dreg::kExpertSession, &dreg::Evolve,
                                                                         &IndexSession};
const command::Kind<rv1::Resident, rv1::RegistryEvent> kResidentKind{dreg::kResident, &dreg::Evolve, &IndexResident};
const command::Kind<rv1::PatientErased, rv1::RegistryEvent> kErasureKind{dreg::kPatient, &dreg::Evolve, &IndexErasure};

const common::Principal kAdmin{"", "", common::Role::ROLE_CONSORTIUM_ADMIN};

}  // namespace

template <typename Reply, typename State>
absl::StatusOr<Reply> RegistryCommands::Change(const Call& call, const command::Kind<State, rv1::RegistryEvent>& kind,
                                               const std::string& id, int64_t expected_version,
                                               absl::FunctionRef<absl::StatusOr<std::optional<Reply>>()> load,
                                               State* (Reply::*field)(), Decide<State> decide,
                                               command::Runner::Shape<Reply> shape) {
  const std::string lock = absl::StrCat(kind.type, "/", id);
  return runner_.RunAndWait<Reply>(
      call, {&locks_, lock},
      [&]() -> absl::StatusOr<command::Decision<Reply>> {
        ASSIGN_OR_RETURN(auto row, load());
        command::Decision<Reply> d;
        std::optional<State> state;
        int64_t version = 0;
        if (row) {
          d.reply = *std::move(row);
          state = *(d.reply.*field)();
          version = d.reply.version();
        }
        RETURN_IF_ERROR(command::CheckVersion(kind.type, id, version, expected_version));
        ASSIGN_OR_RETURN(auto events, decide(state));
        if (events.empty()) return d;  // nothing changes: the aggregate as it is
        command::Stream<State, rv1::RegistryEvent> stream(kind, id, std::move(state), version);
        RETURN_IF_ERROR(stream.Add(events));
        *(d.reply.*field)() = *stream.state();
        d.reply.set_version(stream.version());
        d.Add(std::move(stream));
        return d;
      },
      std::move(shape));
}

absl::StatusOr<rv1::InstitutionReply> RegistryCommands::OnInstitution(const Call& call, const std::string& id,
                                                                      int64_t expected_version,
                                                                      Decide<rv1::Institution> decide) {
  RETURN_IF_ERROR(dreg::CheckId("institution_id", id));
  return Change<rv1::InstitutionReply>(
      call, kInstitutionKind, id, expected_version, [&] { return view_->Institution(id); },
      &rv1::InstitutionReply::mutable_institution, decide);
}

absl::StatusOr<rv1::ConsortiumReply> RegistryCommands::OnConsortium(const Call& call, const std::string& id,
                                                                    int64_t expected_version,
                                                                    Decide<rv1::Consortium> decide) {
  RETURN_IF_ERROR(dreg::CheckId("consortium_id", id));
  return Change<rv1::ConsortiumReply>(
      call, kConsortiumKind, id, expected_version, [&] { return view_->Consortium(id); },
      &rv1::ConsortiumReply::mutable_consortium, decide);
}

absl::StatusOr<rv1::WardReply> RegistryCommands::OnWard(const Call& call, const std::string& institution_id,
                                                        const std::string& ward_id, int64_t expected_version,
                                                        Decide<rv1::Ward> decide) {
  RETURN_IF_ERROR(dreg::CheckId("institution_id", institution_id));
  RETURN_IF_ERROR(dreg::CheckId("ward_id", ward_id));
  return Change<rv1::WardReply>(
      call, kWardKind, dreg::WardAggregateId(institution_id, ward_id), expected_version,
      [&] { return view_->Ward(institution_id, ward_id); }, &rv1::WardReply::mutable_ward, decide);
}

absl::StatusOr<rv1::ExpertSessionReply> RegistryCommands::OnSession(const Call& call, const std::string& id,
                                                                    int64_t expected_version,
                                                                    Decide<rv1::ExpertSession> decide) {
  RETURN_IF_ERROR(dreg::CheckId("session_id", id));
  return Change<rv1::ExpertSessionReply>(
      call, kSessionKind, id, expected_version, [&] { return view_->Session(id); },
      &rv1::ExpertSessionReply::mutable_session, decide);
}

void RegistryCommands::ShowIdentity(const common::Principal& who, rv1::ResidentReply& reply) const {
  const auto& r = reply.resident();
  if (!vault_ || !r.has_sealed_identity()) return;
  // A suspended institution's staff see no identity until it is reactivated.
  auto mine = who.institution_id.empty() ? absl::StatusOr<std::optional<rv1::InstitutionReply>>(std::nullopt)
                                         : view_->Institution(who.institution_id);
  const bool suspended = !mine.ok() || (*mine && (*mine)->institution().suspended());
  *reply.mutable_identity() = privacy::RevealIdentity(*vault_, r.patient(), r.sealed_identity(),
                                                      !suspended && dreg::MaySeeResidentIdentity(who, r));
}

absl::StatusOr<rv1::ResidentReply> RegistryCommands::OnResident(const Call& call, const common::v1::PatientRef& patient,
                                                                int64_t expected_version,
                                                                Decide<rv1::Resident> decide) {
  RETURN_IF_ERROR(dreg::CheckPatientRef(patient));
  return Change<rv1::ResidentReply>(
      call, kResidentKind, patient.value(), expected_version, [&] { return view_->Resident(patient.value()); },
      &rv1::ResidentReply::mutable_resident, decide, [this](rv1::ResidentReply& r) { ShowIdentity(kAdmin, r); });
}

absl::StatusOr<rv1::ResidentReply> RegistryCommands::Enrol(const Call& call, const rv1::EnrolResidentRequest& req) {
  rv1::Resident desc = req.resident();
  desc.clear_sealed_identity();  // read-only: only what this service sealed is ever stored
  return OnResident(call, desc.patient(), 0, [&](const auto& state) -> absl::StatusOr<dreg::Events> {
    ASSIGN_OR_RETURN(auto events, dreg::EnrolResident(state, desc, *view_));
    if (privacy::IsEmpty(req.identity())) return events;
    if (!vault_) return absl::FailedPreconditionError("this registry keeps no patient keys");
    ASSIGN_OR_RETURN(auto sealed, privacy::SealIdentity(*vault_, desc.patient(), req.identity()));
    for (auto& e : events)
      if (e.has_resident_enrolled())
        *e.mutable_resident_enrolled()->mutable_resident()->mutable_sealed_identity() = *sealed;
    return events;
  });
}

absl::StatusOr<rv1::ErasePatientReply> RegistryCommands::Erase(const Call& call, const rv1::ErasePatientRequest& req) {
  RETURN_IF_ERROR(dreg::CheckPatientRef(req.patient()));
  if (!vault_) return absl::FailedPreconditionError("this registry keeps no patient keys");
  const std::string& token = req.patient().value();
  return Change<rv1::ErasePatientReply, rv1::PatientErased>(
      call, kErasureKind, token, 0, [&] { return view_->Erasure(token); }, &rv1::ErasePatientReply::mutable_erasure,
      [&](const std::optional<rv1::PatientErased>& state) -> absl::StatusOr<dreg::Events> {
        const int64_t now_ms = absl::ToUnixMillis(absl::Now());
        ASSIGN_OR_RETURN(auto events, dreg::ErasePatient(state, req.patient(), req.reason(), now_ms));
        // The key first: the caller's intent holds even if the append then fails and is retried.
        if (!events.empty()) RETURN_IF_ERROR(vault_->Erase(token, now_ms));
        return events;
      });
}

}  // namespace yilian::registry
