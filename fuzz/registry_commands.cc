// (b) The registry's command validation: libs/domain/registry's decide functions, called as
// registry_service.cc calls them (the request's fields, the aggregate's current state, the
// registry as directory), then the service's fold of the events into the new state.
#include "support.h"
#include "targets.h"
#include "yilian/domain/registry/registry.h"

namespace yilian::fuzz {

namespace {

namespace dreg = ::yilian::domain::registry;
namespace rv1 = ::yilian::registry::v1;

// The state a command sees: a flag (exists or not), then its row (the Reply message).
template <typename Reply, typename State>
bool ReadState(FuzzInput& in, const State& (Reply::*field)() const, std::optional<State>& out) {
  const bool exists = in.Bool();
  Reply row;
  if (!in.Parse(row)) return false;
  if (exists) out = (row.*field)();
  return true;
}

// What RegistryCommands::Change does with a decision: fold each event into the next state
// (INTERNAL if one does not fold), index its institutions, pack its payload.
template <typename State>
void FoldDecision(std::optional<State> state, const absl::StatusOr<dreg::Events>& events) {
  if (!events.ok()) return;
  for (const auto& e : *events) {
    Require(dreg::Evolve(state, e).ok(), "a registry command's events fold into the state it was decided on");
    Require(state.has_value(), "a folded registry event leaves a state");
    events::v1::Envelope env;
    env.mutable_payload()->PackFrom(dreg::Payload(e));
    auto back = dreg::FromPayload(dreg::Payload(e));
    Require(back.ok(), "a registry event's payload is a registry event");
  }
}

template <typename Request>
bool Read(FuzzInput& in, Request& req) {
  return in.Parse(req);
}

}  // namespace

// Layout: op, directory (2 chunks), state (flag + row chunk), request chunk [, extra fields].
int FuzzRegistryCommands(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const uint8_t op = in.Byte();
  FuzzDirectory dir;
  if (!dir.Read(in)) return 0;
  switch (op % 15) {
    case 0:
    case 1: {
      std::optional<rv1::Institution> s;
      if (!ReadState(in, &rv1::InstitutionReply::institution, s)) return 0;
      if (op % 15 == 0) {
        rv1::RegisterInstitutionRequest req;
        if (!Read(in, req)) return 0;
        (void)dreg::CheckId("institution_id", req.institution().institution_id());
        FoldDecision(s, dreg::RegisterInstitution(s, req.institution()));
      } else {
        rv1::UpdateInstitutionRequest req;
        if (!Read(in, req)) return 0;
        (void)dreg::CheckId("institution_id", req.institution().institution_id());
        FoldDecision(s, dreg::UpdateInstitution(s, req.institution()));
      }
      return 0;
    }
    case 2:
    case 3: {
      std::optional<rv1::Institution> s;
      if (!ReadState(in, &rv1::InstitutionReply::institution, s)) return 0;
      if (op % 15 == 2) {
        rv1::SuspendInstitutionRequest req;
        if (!Read(in, req)) return 0;
        (void)dreg::CheckId("institution_id", req.institution_id());
        FoldDecision(s, dreg::SuspendInstitution(s, req.reason()));
      } else {
        rv1::ReactivateInstitutionRequest req;
        if (!Read(in, req)) return 0;
        (void)dreg::CheckId("institution_id", req.institution_id());
        FoldDecision(s, dreg::ReactivateInstitution(s));
      }
      return 0;
    }
    case 4: {
      std::optional<rv1::Consortium> s;
      if (!ReadState(in, &rv1::ConsortiumReply::consortium, s)) return 0;
      rv1::FormConsortiumRequest req;
      if (!Read(in, req)) return 0;
      FoldDecision(s, dreg::FormConsortium(s, req.consortium(), dir));
      return 0;
    }
    case 5:
    case 6: {
      std::optional<rv1::Consortium> s;
      if (!ReadState(in, &rv1::ConsortiumReply::consortium, s)) return 0;
      rv1::ConsortiumMemberRequest req;
      if (!Read(in, req)) return 0;
      (void)dreg::CheckId("consortium_id", req.consortium_id());
      FoldDecision(s, op % 15 == 5 ? dreg::AddMember(s, req.institution_id(), dir)
                                   : dreg::RemoveMember(s, req.institution_id()));
      return 0;
    }
    case 7: {
      std::optional<rv1::Ward> s;
      if (!ReadState(in, &rv1::WardReply::ward, s)) return 0;
      rv1::DefineWardRequest req;
      if (!Read(in, req)) return 0;
      (void)dreg::WardAggregateId(req.ward().institution_id(), req.ward().ward_id());
      FoldDecision(s, dreg::DefineWard(s, req.ward(), dir));
      return 0;
    }
    case 8: {
      std::optional<rv1::Ward> s;
      if (!ReadState(in, &rv1::WardReply::ward, s)) return 0;
      rv1::ChangeWardCapacityRequest req;
      if (!Read(in, req)) return 0;
      FoldDecision(s, dreg::ChangeWardCapacity(s, req.capacity(), req.emergency_reserved()));
      return 0;
    }
    case 9:
    case 10: {
      std::optional<rv1::ExpertSession> s;
      if (!ReadState(in, &rv1::ExpertSessionReply::session, s)) return 0;
      if (op % 15 == 9) {
        rv1::PublishExpertSessionRequest req;
        if (!Read(in, req)) return 0;
        FoldDecision(s, dreg::PublishExpertSession(s, req.session(), dir));
      } else {
        rv1::CancelExpertSessionRequest req;
        if (!Read(in, req)) return 0;
        FoldDecision(s, dreg::CancelExpertSession(s, req.reason()));
      }
      return 0;
    }
    case 11:
    case 12:
    case 13: {
      std::optional<rv1::Resident> s;
      if (!ReadState(in, &rv1::ResidentReply::resident, s)) return 0;
      if (op % 15 == 11) {
        rv1::EnrolResidentRequest req;
        if (!Read(in, req)) return 0;
        (void)dreg::CheckPatientRef(req.resident().patient());
        FoldDecision(s, dreg::EnrolResident(s, req.resident(), dir));
      } else if (op % 15 == 12) {
        rv1::MoveResidentRequest req;
        if (!Read(in, req)) return 0;
        (void)dreg::CheckPatientRef(req.patient());
        FoldDecision(s, dreg::MoveResident(s, req.to_institution_id(), req.team(), dir));
      } else {
        rv1::EndResidentRequest req;
        if (!Read(in, req)) return 0;
        (void)dreg::CheckPatientRef(req.patient());
        FoldDecision(s, dreg::EndResident(s, req.reason()));
      }
      return 0;
    }
    default: {  // the field checks and reads the service and importers share
      for (const auto& [id, inst] : dir.institutions()) {
        (void)dreg::CheckId("institution_id", id);
        (void)dreg::IsPrimaryCare(inst);
        (void)dreg::HasCapability(inst, static_cast<rv1::Capability>(in.Byte()));
        for (const auto& [other_id, other] : dir.institutions())
          (void)dreg::DistanceKm(inst.location(), other.location());
      }
      common::v1::PatientRef ref;
      ref.set_value(std::string(in.Rest()));
      (void)dreg::CheckPatientRef(ref);
      return 0;
    }
  }
}

}  // namespace yilian::fuzz
