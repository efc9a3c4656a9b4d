// Institutions and consortia.
#include <algorithm>

#include "checks.h"
#include "google/protobuf/util/message_differencer.h"
#include "yilian/domain/limits/limits.h"

namespace yilian::domain::registry {

namespace {
constexpr size_t kMaxMembers = 500;  // institutions in one consortium
}  // namespace

namespace rv1 = ::yilian::registry::v1;

using google::protobuf::util::MessageDifferencer;

absl::StatusOr<Events> RegisterInstitution(const std::optional<rv1::Institution>& state, const rv1::Institution& desc) {
  if (auto s = CheckInstitution(desc); !s.ok()) return s;
  if (state)
    return absl::AlreadyExistsError(absl::StrCat("institution \"", desc.institution_id(), "\" is already registered"));
  rv1::InstitutionRegistered e;
  *e.mutable_institution() = desc;
  return Events{Event(&rv1::RegistryEvent::mutable_institution_registered, e)};
}

absl::StatusOr<Events> UpdateInstitution(const std::optional<rv1::Institution>& state, const rv1::Institution& desc) {
  if (auto s = CheckInstitution(desc); !s.ok()) return s;
  if (!state) return absl::NotFoundError(absl::StrCat("institution \"", desc.institution_id(), "\" is not registered"));
  rv1::Institution next = desc;
  next.set_suspended(state->suspended());
  next.set_suspension_reason(state->suspension_reason());
  if (MessageDifferencer::Equals(next, *state)) return Events{};
  rv1::InstitutionUpdated e;
  *e.mutable_institution() = desc;
  return Events{Event(&rv1::RegistryEvent::mutable_institution_updated, e)};
}

absl::StatusOr<Events> SuspendInstitution(const std::optional<rv1::Institution>& state, const std::string& reason) {
  if (auto s = CheckReason(reason); !s.ok()) return s;
  if (!state) return absl::NotFoundError("institution is not registered");
  if (state->suspended())
    return absl::FailedPreconditionError(
        absl::StrCat("institution \"", state->institution_id(), "\" is already suspended"));
  rv1::InstitutionSuspended e;
  e.set_reason(reason);
  return Events{Event(&rv1::RegistryEvent::mutable_institution_suspended, e)};
}

absl::StatusOr<Events> ReactivateInstitution(const std::optional<rv1::Institution>& state) {
  if (!state) return absl::NotFoundError("institution is not registered");
  if (!state->suspended())
    return absl::FailedPreconditionError(
        absl::StrCat("institution \"", state->institution_id(), "\" is not suspended"));
  return Events{Event(&rv1::RegistryEvent::mutable_institution_reactivated, rv1::InstitutionReactivated())};
}

absl::StatusOr<Events> FormConsortium(const std::optional<rv1::Consortium>& state, const rv1::Consortium& desc,
                                      const Directory& dir) {
  if (auto s = CheckId("consortium_id", desc.consortium_id()); !s.ok()) return s;
  if (auto s = CheckText("name", desc.name()); !s.ok()) return s;
  if (auto s = limits::Count("member_ids", desc.member_ids_size(), kMaxMembers); !s.ok()) return s;
  auto lead = ActiveInstitution(dir, "lead_institution_id", desc.lead_institution_id());
  if (!lead.ok()) return lead.status();
  rv1::Consortium formed = desc;
  formed.clear_member_ids();
  formed.add_member_ids(desc.lead_institution_id());
  for (const auto& id : desc.member_ids()) {
    if (id == desc.lead_institution_id()) continue;  // the lead is always a member
    if (std::find(formed.member_ids().begin(), formed.member_ids().end(), id) != formed.member_ids().end())
      return absl::InvalidArgumentError(absl::StrCat("member ", limits::Echo(id), " is listed twice"));
    auto member = ActiveInstitution(dir, "member_ids", id);
    if (!member.ok()) return member.status();
    formed.add_member_ids(id);
  }
  if (state) return absl::AlreadyExistsError(absl::StrCat("consortium \"", desc.consortium_id(), "\" already exists"));
  rv1::ConsortiumFormed e;
  *e.mutable_consortium() = formed;
  return Events{Event(&rv1::RegistryEvent::mutable_consortium_formed, e)};
}

absl::StatusOr<Events> AddMember(const std::optional<rv1::Consortium>& state, const std::string& institution_id,
                                 const Directory& dir) {
  auto member = ActiveInstitution(dir, "institution_id", institution_id);
  if (!member.ok()) return member.status();
  if (!state) return absl::NotFoundError("consortium does not exist");
  const auto& ids = state->member_ids();
  if (std::find(ids.begin(), ids.end(), institution_id) != ids.end())
    return absl::AlreadyExistsError(
        absl::StrCat("\"", institution_id, "\" is already a member of \"", state->consortium_id(), "\""));
  rv1::ConsortiumMemberAdded e;
  e.set_institution_id(institution_id);
  return Events{Event(&rv1::RegistryEvent::mutable_consortium_member_added, e)};
}

absl::StatusOr<Events> RemoveMember(const std::optional<rv1::Consortium>& state, const std::string& institution_id) {
  if (auto s = CheckId("institution_id", institution_id); !s.ok()) return s;
  if (!state) return absl::NotFoundError("consortium does not exist");
  const auto& ids = state->member_ids();
  if (std::find(ids.begin(), ids.end(), institution_id) == ids.end())
    return absl::NotFoundError(
        absl::StrCat("\"", institution_id, "\" is not a member of \"", state->consortium_id(), "\""));
  if (institution_id == state->lead_institution_id())
    return absl::FailedPreconditionError(
        absl::StrCat("\"", institution_id, "\" leads \"", state->consortium_id(), "\" and cannot be removed"));
  rv1::ConsortiumMemberRemoved e;
  e.set_institution_id(institution_id);
  return Events{Event(&rv1::RegistryEvent::mutable_consortium_member_removed, e)};
}

}  // namespace yilian::domain::registry
