#include "yilian/domain/greenchannel/bed_board.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/limits/limits.h"

namespace yilian::domain::greenchannel {

namespace gv1 = ::yilian::greenchannel::v1;

namespace {

int32_t Used(const gv1::WardBoard& w) { return w.holds_size() + w.admissions_size(); }

const gv1::BedHold* FindHold(const gv1::WardBoard& w, const std::string& id) {
  for (const auto& h : w.holds())
    if (h.hold_id() == id) return &h;
  return nullptr;
}

bool HasAdmission(const gv1::WardBoard& w, const std::string& id) {
  return std::find(w.admissions().begin(), w.admissions().end(), id) != w.admissions().end();
}

absl::Status CheckId(const char* field, const std::string& v) { return limits::Reference(field, v); }

// A release or vacate reason: the caller's, or the service's with a prefix ("redirected: ...").
absl::Status CheckReason(const std::string& reason) {
  return limits::Text("reason", reason, limits::kReason + 100, /*required=*/true);
}

std::string Name(const gv1::WardBoard& w) { return absl::StrCat(w.institution_id(), "/", w.ward_id()); }

template <typename M>
gv1::BoardEvent Make(M* (gv1::BoardEvent::*field)(), const M& m) {
  gv1::BoardEvent e;
  *(e.*field)() = m;
  return e;
}

}  // namespace

int32_t FreeBeds(const gv1::WardBoard& w, gv1::HoldPurpose purpose) {
  // In 64 bits: a board read from outside (an event, a fuzzer) may hold any int32 sizes.
  const int64_t capacity = w.capacity();
  const int64_t limit = purpose == gv1::EMERGENCY ? capacity : capacity - w.emergency_reserved();
  return static_cast<int32_t>(std::clamp<int64_t>(limit - Used(w), 0, std::numeric_limits<int32_t>::max()));
}

absl::StatusOr<BoardEvents> SetCapacity(const std::optional<gv1::WardBoard>& state, const gv1::WardCapacitySet& cmd) {
  if (cmd.capacity() < 0 || cmd.emergency_reserved() < 0 || cmd.emergency_reserved() > cmd.capacity())
    return absl::InvalidArgumentError(absl::StrCat("capacity ", cmd.capacity(), " with ", cmd.emergency_reserved(),
                                                   " kept for emergencies is not a valid ward size"));
  gv1::WardCapacitySet e = cmd;
  e.set_over_capacity(state && Used(*state) > cmd.capacity());
  if (state && state->capacity() == cmd.capacity() && state->emergency_reserved() == cmd.emergency_reserved() &&
      state->kind() == cmd.kind())
    return BoardEvents{};
  return BoardEvents{Make(&gv1::BoardEvent::mutable_capacity_set, e)};
}

absl::StatusOr<BoardEvents> PlaceHold(const std::optional<gv1::WardBoard>& state, const gv1::BedHold& hold) {
  if (auto s = CheckId("hold_id", hold.hold_id()); !s.ok()) return s;
  if (auto s = CheckId("subject_id", hold.subject_id()); !s.ok()) return s;
  if (hold.purpose() != gv1::EMERGENCY && hold.purpose() != gv1::REFERRAL)
    return absl::InvalidArgumentError("hold purpose must be EMERGENCY or REFERRAL");
  if (common::UnixMs(hold.expires_at()) <= common::UnixMs(hold.placed_at()))
    return absl::InvalidArgumentError("a hold must expire after it is placed");
  if (!state) return absl::FailedPreconditionError("the ward is not on the bed board (no capacity known yet)");
  if (FindHold(*state, hold.hold_id()) || HasAdmission(*state, hold.hold_id()))
    return absl::AlreadyExistsError(absl::StrCat("hold ", hold.hold_id(), " already exists on ", Name(*state)));
  if (FreeBeds(*state, hold.purpose()) == 0)
    return absl::FailedPreconditionError(absl::StrCat(
        "no free bed for ", gv1::HoldPurpose_Name(hold.purpose()), " on ", Name(*state), " (", Used(*state), " of ",
        state->capacity(), " in use, ", state->emergency_reserved(), " kept for emergencies)"));
  gv1::BedHeld e;
  *e.mutable_hold() = hold;
  e.mutable_hold()->set_uses_reserve(FreeBeds(*state, gv1::REFERRAL) == 0);
  return BoardEvents{Make(&gv1::BoardEvent::mutable_held, e)};
}

absl::StatusOr<BoardEvents> ReleaseHold(const std::optional<gv1::WardBoard>& state, const std::string& hold_id,
                                        const std::string& reason) {
  if (auto s = CheckId("hold_id", hold_id); !s.ok()) return s;
  if (auto s = CheckReason(reason); !s.ok()) return s;
  if (!state || !FindHold(*state, hold_id)) return absl::NotFoundError(absl::StrCat("no hold ", hold_id));
  gv1::BedHoldReleased e;
  e.set_hold_id(hold_id);
  e.set_reason(reason);
  return BoardEvents{Make(&gv1::BoardEvent::mutable_hold_released, e)};
}

absl::StatusOr<BoardEvents> Admit(const std::optional<gv1::WardBoard>& state, const std::string& hold_id,
                                  const std::string& admission_id) {
  if (auto s = CheckId("hold_id", hold_id); !s.ok()) return s;
  if (auto s = CheckId("admission_id", admission_id); !s.ok()) return s;
  if (!state || !FindHold(*state, hold_id))
    return absl::NotFoundError(absl::StrCat("no hold ", hold_id, " (expired, released or never placed)"));
  if (HasAdmission(*state, admission_id))
    return absl::AlreadyExistsError(absl::StrCat("admission ", admission_id, " already occupies a bed"));
  gv1::BedOccupied e;
  e.set_hold_id(hold_id);
  e.set_admission_id(admission_id);
  return BoardEvents{Make(&gv1::BoardEvent::mutable_occupied, e)};
}

absl::StatusOr<BoardEvents> Vacate(const std::optional<gv1::WardBoard>& state, const std::string& admission_id,
                                   const std::string& reason) {
  if (auto s = CheckId("admission_id", admission_id); !s.ok()) return s;
  if (auto s = limits::Text("reason", reason, limits::kReason, /*required=*/true); !s.ok()) return s;
  if (!state || !HasAdmission(*state, admission_id))
    return absl::NotFoundError(absl::StrCat("admission ", admission_id, " occupies no bed here"));
  gv1::BedVacated e;
  e.set_admission_id(admission_id);
  e.set_reason(reason);
  return BoardEvents{Make(&gv1::BoardEvent::mutable_vacated, e)};
}

namespace {

gv1::BoardEvent Expired(const std::string& hold_id) {
  gv1::BedHoldExpired e;
  e.set_hold_id(hold_id);
  return Make(&gv1::BoardEvent::mutable_hold_expired, e);
}

}  // namespace

BoardEvents Expire(const std::optional<gv1::WardBoard>& state, int64_t now_ms) {
  BoardEvents out;
  if (!state) return out;
  for (const auto& h : state->holds())
    if (common::UnixMs(h.expires_at()) <= now_ms) out.push_back(Expired(h.hold_id()));
  return out;
}

BoardEvents ExpireHold(const std::optional<gv1::WardBoard>& state, const std::string& hold_id, int64_t now_ms) {
  const gv1::BedHold* h = FindHold(state, hold_id);
  if (h == nullptr || common::UnixMs(h->expires_at()) > now_ms) return {};
  return {Expired(hold_id)};
}

const gv1::BedHold* FindHold(const std::optional<gv1::WardBoard>& state, const std::string& hold_id) {
  if (!state) return nullptr;
  for (const auto& h : state->holds())
    if (h.hold_id() == hold_id) return &h;
  return nullptr;
}

namespace {

absl::Status RemoveHold(gv1::WardBoard& w, const std::string& id) {
  auto* holds = w.mutable_holds();
  for (int i = 0; i < holds->size(); ++i) {
    if (holds->Get(i).hold_id() != id) continue;
    holds->erase(holds->begin() + i);
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat("hold ", id, " is not on ", Name(w)));
}

}  // namespace

absl::Status Evolve(std::optional<gv1::WardBoard>& state, const gv1::BoardEvent& e) {
  if (e.has_capacity_set()) {
    if (!state) {
      state.emplace();
      state->set_institution_id(e.capacity_set().institution_id());
      state->set_ward_id(e.capacity_set().ward_id());
    }
    state->set_kind(e.capacity_set().kind());
    state->set_capacity(e.capacity_set().capacity());
    state->set_emergency_reserved(e.capacity_set().emergency_reserved());
    return absl::OkStatus();
  }
  if (!state) return absl::FailedPreconditionError("bed event before the ward's capacity was set");
  switch (e.kind_case()) {
    case gv1::BoardEvent::kHeld:
      *state->add_holds() = e.held().hold();
      return absl::OkStatus();
    case gv1::BoardEvent::kHoldReleased:
      return RemoveHold(*state, e.hold_released().hold_id());
    case gv1::BoardEvent::kHoldExpired:
      return RemoveHold(*state, e.hold_expired().hold_id());
    case gv1::BoardEvent::kOccupied:
      if (auto s = RemoveHold(*state, e.occupied().hold_id()); !s.ok()) return s;
      state->add_admissions(e.occupied().admission_id());
      return absl::OkStatus();
    case gv1::BoardEvent::kVacated: {
      auto* a = state->mutable_admissions();
      for (int i = 0; i < a->size(); ++i) {
        if (a->Get(i) != e.vacated().admission_id()) continue;
        a->erase(a->begin() + i);
        return absl::OkStatus();
      }
      return absl::FailedPreconditionError(
          absl::StrCat("admission ", e.vacated().admission_id(), " is not on ", Name(*state)));
    }
    default:
      return absl::InvalidArgumentError("empty bed board event");
  }
}

}  // namespace yilian::domain::greenchannel
