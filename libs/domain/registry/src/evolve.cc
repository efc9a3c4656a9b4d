// Folding registry events into aggregate state, and payload <-> RegistryEvent.
#include "checks.h"
#include "yilian/common/oneof_event.h"

namespace yilian::domain::registry {

namespace rv1 = ::yilian::registry::v1;

namespace {

absl::Status NotThisAggregate(const rv1::RegistryEvent& e, const char* type) {
  return absl::InvalidArgumentError(
      absl::StrCat("event ", Payload(e).GetDescriptor()->name(), " does not belong to a ", type));
}

absl::Status Corrupt(const rv1::RegistryEvent& e, const char* why) {
  return absl::FailedPreconditionError(absl::StrCat("event ", Payload(e).GetDescriptor()->name(), " ", why));
}

}  // namespace

absl::Status Evolve(std::optional<rv1::Institution>& state, const rv1::RegistryEvent& e) {
  using K = rv1::RegistryEvent::KindCase;
  if (e.kind_case() == K::kInstitutionRegistered) {
    if (state) return Corrupt(e, "for an institution already registered");
    state = e.institution_registered().institution();
    return absl::OkStatus();
  }
  if (!state) {
    switch (e.kind_case()) {
      case K::kInstitutionUpdated:
      case K::kInstitutionSuspended:
      case K::kInstitutionReactivated:
        return Corrupt(e, "before the institution was registered");
      default:
        return NotThisAggregate(e, kInstitution);
    }
  }
  switch (e.kind_case()) {
    case K::kInstitutionUpdated: {
      const bool suspended = state->suspended();
      const std::string reason = state->suspension_reason();
      *state = e.institution_updated().institution();
      state->set_suspended(suspended);
      state->set_suspension_reason(reason);
      return absl::OkStatus();
    }
    case K::kInstitutionSuspended:
      state->set_suspended(true);
      state->set_suspension_reason(e.institution_suspended().reason());
      return absl::OkStatus();
    case K::kInstitutionReactivated:
      state->set_suspended(false);
      state->clear_suspension_reason();
      return absl::OkStatus();
    default:
      return NotThisAggregate(e, kInstitution);
  }
}

absl::Status Evolve(std::optional<rv1::Consortium>& state, const rv1::RegistryEvent& e) {
  using K = rv1::RegistryEvent::KindCase;
  switch (e.kind_case()) {
    case K::kConsortiumFormed:
      if (state) return Corrupt(e, "for a consortium already formed");
      state = e.consortium_formed().consortium();
      return absl::OkStatus();
    case K::kConsortiumMemberAdded:
      if (!state) return Corrupt(e, "before the consortium was formed");
      state->add_member_ids(e.consortium_member_added().institution_id());
      return absl::OkStatus();
    case K::kConsortiumMemberRemoved: {
      if (!state) return Corrupt(e, "before the consortium was formed");
      auto* ids = state->mutable_member_ids();
      for (int i = 0; i < ids->size(); ++i) {
        if (ids->Get(i) != e.consortium_member_removed().institution_id()) continue;
        ids->erase(ids->begin() + i);
        return absl::OkStatus();
      }
      return Corrupt(e, "for an institution that is not a member");
    }
    default:
      return NotThisAggregate(e, kConsortium);
  }
}

absl::Status Evolve(std::optional<rv1::Ward>& state, const rv1::RegistryEvent& e) {
  using K = rv1::RegistryEvent::KindCase;
  switch (e.kind_case()) {
    case K::kWardDefined:
      if (state) return Corrupt(e, "for a ward already defined");
      state = e.ward_defined().ward();
      return absl::OkStatus();
    case K::kWardCapacityChanged:
      if (!state) return Corrupt(e, "before the ward was defined");
      state->set_capacity(e.ward_capacity_changed().capacity());
      state->set_emergency_reserved(e.ward_capacity_changed().emergency_reserved());
      return absl::OkStatus();
    default:
      return NotThisAggregate(e, kWard);
  }
}

absl::Status Evolve(std::optional<rv1::ExpertSession>& state, const rv1::RegistryEvent& e) {
  using K = rv1::RegistryEvent::KindCase;
  switch (e.kind_case()) {
    case K::kExpertSessionPublished:
      if (state) return Corrupt(e, "for a session already published");
      state = e.expert_session_published().session();
      return absl::OkStatus();
    case K::kExpertSessionCancelled:
      if (!state) return Corrupt(e, "before the session was published");
      state->set_cancelled(true);
      state->set_cancel_reason(e.expert_session_cancelled().reason());
      return absl::OkStatus();
    default:
      return NotThisAggregate(e, kExpertSession);
  }
}

absl::Status Evolve(std::optional<rv1::Resident>& state, const rv1::RegistryEvent& e) {
  using K = rv1::RegistryEvent::KindCase;
  switch (e.kind_case()) {
    case K::kResidentEnrolled:
      if (state && !state->ended()) return Corrupt(e, "for a resident already signed");
      state = e.resident_enrolled().resident();
      return absl::OkStatus();
    case K::kResidentMoved:
      if (!state || state->ended()) return Corrupt(e, "for a resident not signed");
      state->set_family_doctor_institution_id(e.resident_moved().to_institution_id());
      state->set_team(e.resident_moved().team());
      return absl::OkStatus();
    case K::kResidentEnded:
      if (!state || state->ended()) return Corrupt(e, "for a resident not signed");
      state->set_ended(true);
      state->set_end_reason(e.resident_ended().reason());
      return absl::OkStatus();
    default:
      return NotThisAggregate(e, kResident);
  }
}

const google::protobuf::Message& Payload(const rv1::RegistryEvent& e) { return common::OneofPayload(e); }

absl::StatusOr<rv1::RegistryEvent> FromPayload(const google::protobuf::Message& payload) {
  rv1::RegistryEvent e;
  if (auto s = common::SetOneofPayload(payload, &e); !s.ok()) return s;
  return e;
}

}  // namespace yilian::domain::registry
