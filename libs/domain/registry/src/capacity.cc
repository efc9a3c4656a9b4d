// Wards, expert clinic sessions and signed residents.
#include <set>

#include "absl/time/time.h"
#include "checks.h"
#include "google/protobuf/util/time_util.h"
#include "yilian/common/problem.h"
#include "yilian/common/strings.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/limits/limits.h"

namespace yilian::domain::registry {

namespace rv1 = ::yilian::registry::v1;

namespace {

absl::Status CheckCapacity(int32_t capacity, int32_t emergency_reserved) {
  if (capacity < 0) return common::InvalidField("capacity", absl::StrCat("capacity ", capacity, " is negative"));
  if (capacity > 100000)
    return common::InvalidField("capacity", absl::StrCat("capacity ", capacity, " is implausible"));
  if (emergency_reserved < 0)
    return common::InvalidField("emergency_reserved",
                                absl::StrCat("emergency_reserved ", emergency_reserved, " is negative"));
  if (emergency_reserved > capacity)
    return absl::InvalidArgumentError(
        absl::StrCat("emergency_reserved ", emergency_reserved, " is above capacity ", capacity));
  return absl::OkStatus();
}

bool ShareConsortium(const Directory& dir, const std::string& a, const std::string& b) {
  const auto ca = dir.ConsortiaOf(a);
  const auto cb = dir.ConsortiaOf(b);
  const std::set<std::string> sa(ca.begin(), ca.end());
  for (const auto& c : cb)
    if (sa.count(c)) return true;
  return false;
}

// A clinic session is a morning, an afternoon or an evening, never longer.
constexpr absl::Duration kLongestSession = absl::Hours(12);

}  // namespace

absl::StatusOr<Events> DefineWard(const std::optional<rv1::Ward>& state, const rv1::Ward& desc, const Directory& dir) {
  if (auto s = CheckId("ward_id", desc.ward_id()); !s.ok()) return s;
  if (auto s = CheckText("name", desc.name()); !s.ok()) return s;
  if (desc.kind() == rv1::WARD_KIND_UNSPECIFIED || !rv1::WardKind_IsValid(desc.kind()))
    return absl::InvalidArgumentError(
        "kind is required: one of WARD_GENERAL, WARD_ICU, WARD_CCU, WARD_STROKE_UNIT, "
        "WARD_MATERNAL, WARD_PAEDIATRIC, WARD_REHABILITATION");
  if (auto s = CheckCapacity(desc.capacity(), desc.emergency_reserved()); !s.ok()) return s;
  auto host = ActiveInstitution(dir, "institution_id", desc.institution_id());
  if (!host.ok()) return host.status();
  if (state)
    return absl::AlreadyExistsError(
        absl::StrCat("ward \"", desc.ward_id(), "\" already exists at \"", desc.institution_id(), "\""));
  rv1::WardDefined e;
  *e.mutable_ward() = desc;
  return Events{Event(&rv1::RegistryEvent::mutable_ward_defined, e)};
}

absl::StatusOr<Events> ChangeWardCapacity(const std::optional<rv1::Ward>& state, int32_t capacity,
                                          int32_t emergency_reserved) {
  if (auto s = CheckCapacity(capacity, emergency_reserved); !s.ok()) return s;
  if (!state) return absl::NotFoundError("ward is not defined");
  if (state->capacity() == capacity && state->emergency_reserved() == emergency_reserved) return Events{};
  rv1::WardCapacityChanged e;
  e.set_capacity(capacity);
  e.set_emergency_reserved(emergency_reserved);
  e.set_previous_capacity(state->capacity());
  e.set_reduced(capacity < state->capacity());
  return Events{Event(&rv1::RegistryEvent::mutable_ward_capacity_changed, e)};
}

absl::StatusOr<Events> PublishExpertSession(const std::optional<rv1::ExpertSession>& state,
                                            const rv1::ExpertSession& desc, const Directory& dir) {
  if (auto s = CheckId("session_id", desc.session_id()); !s.ok()) return s;
  if (auto s = CheckId("expert_id", desc.expert_id()); !s.ok()) return s;
  if (auto s = CheckText("expert_name", desc.expert_name()); !s.ok()) return s;
  if (auto s = CheckText("department", desc.department()); !s.ok()) return s;
  if (auto s = limits::Count("reserved", desc.reserved_size(), 100); !s.ok()) return s;
  if (!desc.has_starts_at()) return common::InvalidField("starts_at", "starts_at is required");
  if (!desc.has_ends_at()) return common::InvalidField("ends_at", "ends_at is required");
  auto starts = common::FromTimestamp(desc.starts_at(), "starts_at");
  if (!starts.ok()) return starts.status();
  auto ends = common::FromTimestamp(desc.ends_at(), "ends_at");
  if (!ends.ok()) return ends.status();
  if (*starts < absl::UnixEpoch()) return common::InvalidField("starts_at", "starts_at is before 1970");
  if (*ends <= *starts) return common::InvalidField("ends_at", "ends_at must be after starts_at");
  if (*ends - *starts > kLongestSession) return common::InvalidField("ends_at", "a session lasts at most 12 hours");
  if (desc.slot_count() <= 0 || desc.slot_count() > 1000)
    return common::InvalidField("slot_count",
                                absl::StrCat("slot_count ", desc.slot_count(), " is out of range 1..1000"));
  if (!desc.has_release_cutoff()) return common::InvalidField("release_cutoff", "release_cutoff is required");
  auto cutoff = common::FromTimestamp(desc.release_cutoff(), "release_cutoff");
  if (!cutoff.ok()) return cutoff.status();
  if (*cutoff >= *ends) return common::InvalidField("release_cutoff", "release_cutoff must be before the session ends");
  if (desc.cancelled() || !desc.cancel_reason().empty())
    return absl::InvalidArgumentError("cancelled is read-only: use CancelExpertSession");
  auto host = ActiveInstitution(dir, "institution_id", desc.institution_id());
  if (!host.ok()) return host.status();
  int64_t reserved = 0;
  std::set<std::string> seen;
  for (const auto& q : desc.reserved()) {
    if (q.slots() <= 0)
      return absl::InvalidArgumentError(absl::StrCat("reserved slots for \"", q.institution_id(), "\" must be > 0"));
    if (!seen.insert(q.institution_id()).second)
      return absl::InvalidArgumentError(
          absl::StrCat("reserved quota for \"", q.institution_id(), "\" is listed twice"));
    auto centre = ActiveInstitution(dir, "reserved.institution_id", q.institution_id());
    if (!centre.ok()) return centre.status();
    if (!IsPrimaryCare(*centre))
      return absl::InvalidArgumentError(absl::StrCat("reserved quota for \"", q.institution_id(),
                                                     "\": only primary-care (tier 1) centres get quotas"));
    if (!ShareConsortium(dir, desc.institution_id(), q.institution_id()))
      return absl::FailedPreconditionError(
          absl::StrCat("\"", q.institution_id(), "\" shares no consortium with \"", desc.institution_id(), "\""));
    reserved += q.slots();
  }
  if (reserved > desc.slot_count())
    return absl::InvalidArgumentError(
        absl::StrCat("reserved quotas total ", reserved, ", above the session's ", desc.slot_count(), " slots"));
  if (state) return absl::AlreadyExistsError(absl::StrCat("session \"", desc.session_id(), "\" already exists"));
  rv1::ExpertSessionPublished e;
  *e.mutable_session() = desc;
  return Events{Event(&rv1::RegistryEvent::mutable_expert_session_published, e)};
}

absl::StatusOr<Events> CancelExpertSession(const std::optional<rv1::ExpertSession>& state, const std::string& reason) {
  if (auto s = CheckReason(reason); !s.ok()) return s;
  if (!state) return absl::NotFoundError("session does not exist");
  if (state->cancelled())
    return absl::FailedPreconditionError(absl::StrCat("session \"", state->session_id(), "\" is already cancelled"));
  rv1::ExpertSessionCancelled e;
  e.set_reason(reason);
  return Events{Event(&rv1::RegistryEvent::mutable_expert_session_cancelled, e)};
}

namespace {

absl::StatusOr<rv1::Institution> FamilyDoctorInstitution(const Directory& dir, const std::string& id) {
  auto i = ActiveInstitution(dir, "family_doctor_institution_id", id);
  if (!i.ok()) return i.status();
  if (!IsPrimaryCare(*i))
    return absl::InvalidArgumentError(
        absl::StrCat("\"", id, "\" is not a primary-care centre: residents sign with a tier 1 family-doctor team"));
  return i;
}

}  // namespace

absl::StatusOr<Events> EnrolResident(const std::optional<rv1::Resident>& state, const rv1::Resident& desc,
                                     const Directory& dir) {
  if (auto s = CheckPatientRef(desc.patient()); !s.ok()) return s;
  if (auto s = CheckText("team", desc.team(), 100, false); !s.ok()) return s;
  if (!desc.has_signed_at()) return common::InvalidField("signed_at", "signed_at is required");
  if (desc.ended() || !desc.end_reason().empty())
    return absl::InvalidArgumentError("ended is read-only: use EndResident");
  auto i = FamilyDoctorInstitution(dir, desc.family_doctor_institution_id());
  if (!i.ok()) return i.status();
  if (state && !state->ended()) return absl::AlreadyExistsError("resident is already signed");
  rv1::ResidentEnrolled e;
  *e.mutable_resident() = desc;
  return Events{Event(&rv1::RegistryEvent::mutable_resident_enrolled, e)};
}

absl::StatusOr<Events> MoveResident(const std::optional<rv1::Resident>& state, const std::string& to_institution_id,
                                    const std::string& team, const Directory& dir) {
  if (auto s = CheckText("team", team, 100, false); !s.ok()) return s;
  auto i = FamilyDoctorInstitution(dir, to_institution_id);
  if (!i.ok()) return i.status();
  if (!state) return absl::NotFoundError("resident is not signed");
  if (state->ended()) return absl::FailedPreconditionError("resident's signing has ended; enrol them again");
  if (state->family_doctor_institution_id() == to_institution_id && state->team() == team) return Events{};
  rv1::ResidentMoved e;
  e.set_from_institution_id(state->family_doctor_institution_id());
  e.set_to_institution_id(to_institution_id);
  e.set_team(team);
  return Events{Event(&rv1::RegistryEvent::mutable_resident_moved, e)};
}

absl::StatusOr<Events> EndResident(const std::optional<rv1::Resident>& state, const std::string& reason) {
  if (auto s = CheckReason(reason); !s.ok()) return s;
  if (!state) return absl::NotFoundError("resident is not signed");
  if (state->ended()) return absl::FailedPreconditionError("resident's signing has already ended");
  rv1::ResidentEnded e;
  e.set_reason(reason);
  return Events{Event(&rv1::RegistryEvent::mutable_resident_ended, e)};
}

}  // namespace yilian::domain::registry
