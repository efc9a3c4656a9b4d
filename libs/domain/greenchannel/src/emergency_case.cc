#include "yilian/domain/greenchannel/emergency_case.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "yilian/common/problem.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/greenchannel/placement.h"
#include "yilian/domain/limits/limits.h"

namespace yilian::domain::greenchannel {

namespace gv1 = ::yilian::greenchannel::v1;

namespace {

template <typename M>
gv1::CaseEvent Make(M* (gv1::CaseEvent::*field)(), const M& m) {
  gv1::CaseEvent e;
  *(e.*field)() = m;
  return e;
}

const gv1::MilestoneAt* Find(const gv1::EmergencyCase& c, gv1::Milestone m) {
  for (const auto& x : c.milestones())
    if (x.milestone() == m) return &x;
  return nullptr;
}

// FAILED_PRECONDITION for `c`'s state, with what it still allows.
absl::Status Refused(const gv1::EmergencyCase& c, std::string message) {
  return common::WrongState(AllowedCaseActions(c), absl::FailedPreconditionError(std::move(message)));
}

absl::Status Open(const std::optional<gv1::EmergencyCase>& state) {
  if (!state) return absl::NotFoundError("no such emergency case");
  if (state->status() == gv1::CLOSED) return Refused(*state, absl::StrCat("case ", state->case_id(), " is closed"));
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> AllowedCaseActions(const gv1::EmergencyCase& c) {
  switch (c.status()) {
    case gv1::EN_ROUTE:
      if (c.acknowledged_by() != c.placement().institution_id())
        return {"redirect-case", "acknowledge-case", "record-milestone", "close-case"};
      return {"redirect-case", "record-milestone", "close-case"};
    case gv1::ARRIVED:
    case gv1::ADMITTED:
      return {"record-milestone", "close-case"};
    default:
      return {};
  }
}

absl::StatusOr<CaseEvents> OpenCase(const std::optional<gv1::EmergencyCase>& state, const gv1::EmergencyCase& d,
                                    const std::string& hold_id) {
  if (auto s = limits::Reference("case_id", d.case_id()); !s.ok()) return s;
  if (auto needs = NeedsOf(d.condition()); !needs.ok()) return needs.status();
  if (d.severity() < 1 || d.severity() > 5)
    return common::InvalidField("severity", absl::StrCat("severity ", d.severity(), " is not 1 (most severe) .. 5"));
  const auto& l = d.location();
  if (!d.has_location() || !std::isfinite(l.latitude()) || std::abs(l.latitude()) > 90 ||
      !std::isfinite(l.longitude()) || std::abs(l.longitude()) > 180)
    return common::InvalidField("location", "location is required, with latitude -90..90 and longitude -180..180");
  if (common::UnixMs(d.first_medical_contact_at()) <= 0)
    return common::InvalidField("first_medical_contact_at", "first_medical_contact is required");
  if (auto s = limits::Reference("dispatch_centre", d.dispatch_centre()); !s.ok()) return s;
  if (auto s = limits::Reference("consortium_id", d.consortium_id(), /*required=*/false); !s.ok()) return s;
  if (d.placement().institution_id().empty()) return absl::InvalidArgumentError("a case opens with a placement");
  if (hold_id.empty() && d.placement().step() != gv1::LEAD_OVERFLOW)
    return absl::InvalidArgumentError("a placement with a bed needs its hold id");
  if (d.status() != gv1::CASE_STATUS_UNSPECIFIED || d.milestones_size() > 0 || !d.outcome().empty())
    return absl::InvalidArgumentError("status, milestones and outcome are recorded later, not at opening");
  if (state) return absl::AlreadyExistsError(absl::StrCat("case ", d.case_id(), " is already open"));
  gv1::CaseOpened e;
  *e.mutable_emergency_case() = d;
  e.mutable_emergency_case()->set_hold_id(hold_id);
  e.mutable_emergency_case()->set_status(gv1::EN_ROUTE);
  return CaseEvents{Make(&gv1::CaseEvent::mutable_opened, e)};
}

absl::StatusOr<CaseEvents> RedirectCase(const std::optional<gv1::EmergencyCase>& state, const gv1::Placement& placement,
                                        const std::string& hold_id, const std::string& reason) {
  if (auto s = limits::Text("reason", reason, limits::kReason, /*required=*/true); !s.ok()) return s;
  if (placement.institution_id().empty()) return absl::InvalidArgumentError("a redirect needs a placement");
  if (hold_id.empty() && placement.step() != gv1::LEAD_OVERFLOW)
    return absl::InvalidArgumentError("a placement with a bed needs its hold id");
  if (auto s = Open(state); !s.ok()) return s;
  if (state->status() != gv1::EN_ROUTE)
    return Refused(*state, absl::StrCat("case ", state->case_id(), ": the patient has arrived"));
  gv1::CaseRedirected e;
  *e.mutable_placement() = placement;
  e.set_hold_id(hold_id);
  e.set_reason(reason);
  return CaseEvents{Make(&gv1::CaseEvent::mutable_redirected, e)};
}

absl::StatusOr<CaseEvents> RecordMilestone(const std::optional<gv1::EmergencyCase>& state, gv1::Milestone m,
                                           int64_t at_ms) {
  if (m == gv1::MILESTONE_UNSPECIFIED || !gv1::Milestone_IsValid(m))
    return common::InvalidField("milestone", "milestone must be ARRIVAL, IMAGING, NEEDLE, BALLOON or ADMISSION");
  if (auto s = Open(state); !s.ok()) return s;
  if (at_ms < common::UnixMs(state->first_medical_contact_at()))
    return common::InvalidField("at", absl::StrCat(gv1::Milestone_Name(m), " is before the first medical contact"));
  if (Find(*state, m))
    return absl::AlreadyExistsError(
        absl::StrCat(gv1::Milestone_Name(m), " is already recorded for ", state->case_id()));
  if (m == gv1::BALLOON && state->condition() != gv1::STEMI)
    return common::InvalidField("milestone", "BALLOON (PCI) is recorded for STEMI cases only");
  if (m != gv1::ARRIVAL) {
    const auto* door = Find(*state, gv1::ARRIVAL);
    if (!door) return Refused(*state, absl::StrCat("record ARRIVAL (door time) before ", gv1::Milestone_Name(m)));
    if (at_ms < common::UnixMs(door->at()))
      return common::InvalidField("at", absl::StrCat(gv1::Milestone_Name(m), " is before the door time"));
  }
  gv1::MilestoneRecorded e;
  e.mutable_milestone()->set_milestone(m);
  YILIAN_SET_MS(*e.mutable_milestone(), at, at_ms);
  return CaseEvents{Make(&gv1::CaseEvent::mutable_milestone, e)};
}

absl::StatusOr<CaseEvents> AcknowledgeCase(const std::optional<gv1::EmergencyCase>& state,
                                           const std::string& institution_id, int64_t at_ms) {
  if (auto s = Open(state); !s.ok()) return s;
  if (state->status() != gv1::EN_ROUTE)
    return Refused(*state, absl::StrCat("case ", state->case_id(), ": the patient has arrived"));
  if (institution_id != state->placement().institution_id())
    return absl::PermissionDeniedError(absl::StrCat("case ", state->case_id(), " is bound for ",
                                                    state->placement().institution_id(), ", not ", institution_id));
  if (state->acknowledged_by() == institution_id) return CaseEvents{};
  gv1::CaseAcknowledged e;
  e.set_institution_id(institution_id);
  YILIAN_SET_MS(e, at, at_ms);
  return CaseEvents{Make(&gv1::CaseEvent::mutable_acknowledged, e)};
}

int64_t EtaMs(const gv1::EmergencyCase& c) {
  if (c.status() != gv1::EN_ROUTE || common::UnixMs(c.placement().placed_at()) <= 0) return 0;
  for (const auto& k : c.placement().considered())
    if (k.institution_id() == c.placement().institution_id())
      return common::UnixMs(c.placement().placed_at()) +
             static_cast<int64_t>(std::llround(k.travel_minutes() * 60'000));
  return 0;
}

bool InboundTo(const gv1::EmergencyCase& c, const std::string& institution_id) {
  return c.status() == gv1::EN_ROUTE && c.placement().institution_id() == institution_id;
}

absl::StatusOr<CaseEvents> CloseCase(const std::optional<gv1::EmergencyCase>& state, const std::string& outcome,
                                     int64_t at_ms) {
  if (auto s = limits::Text("outcome", outcome, limits::kReason, /*required=*/true); !s.ok()) return s;
  if (auto s = Open(state); !s.ok()) return s;
  gv1::CaseClosed e;
  e.set_outcome(outcome);
  YILIAN_SET_MS(e, at, at_ms);
  return CaseEvents{Make(&gv1::CaseEvent::mutable_closed, e)};
}

absl::Status Evolve(std::optional<gv1::EmergencyCase>& state, const gv1::CaseEvent& e) {
  if (e.has_opened()) {
    if (state) return absl::FailedPreconditionError("case opened twice");
    state = e.opened().emergency_case();
    return absl::OkStatus();
  }
  if (!state) return absl::FailedPreconditionError("case event before the case was opened");
  switch (e.kind_case()) {
    case gv1::CaseEvent::kRedirected:
      *state->mutable_placement() = e.redirected().placement();
      state->set_hold_id(e.redirected().hold_id());
      if (state->acknowledged_by() != state->placement().institution_id()) {  // a new destination: not told yet
        state->clear_acknowledged_by();
        state->clear_acknowledged_at();
      }
      return absl::OkStatus();
    case gv1::CaseEvent::kAcknowledged:
      state->set_acknowledged_by(e.acknowledged().institution_id());
      YILIAN_SET_MS(*state, acknowledged_at, common::UnixMs(e.acknowledged().at()));
      return absl::OkStatus();
    case gv1::CaseEvent::kMilestone:
      *state->add_milestones() = e.milestone().milestone();
      if (e.milestone().milestone().milestone() == gv1::ARRIVAL) {
        state->set_status(gv1::ARRIVED);
        if (!state->hold_id().empty()) state->set_admission_id(state->case_id());  // the held bed, taken (Admit)
      }
      if (e.milestone().milestone().milestone() == gv1::ADMISSION) state->set_status(gv1::ADMITTED);
      return absl::OkStatus();
    case gv1::CaseEvent::kClosed:
      state->set_status(gv1::CLOSED);
      state->set_outcome(e.closed().outcome());
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError("empty case event");
  }
}

gv1::CaseClocks ClocksOf(const gv1::EmergencyCase& c) {
  gv1::CaseClocks k;
  const auto* door = Find(c, gv1::ARRIVAL);
  auto minutes = [&](gv1::Milestone m) -> int64_t {
    const auto* x = Find(c, m);
    return door && x ? (common::UnixMs(x->at()) - common::UnixMs(door->at())) / 60000 : -1;
  };
  k.set_door_to_needle_min(minutes(gv1::NEEDLE));
  k.set_door_to_balloon_min(minutes(gv1::BALLOON));
  k.set_door_to_imaging_min(minutes(gv1::IMAGING));
  const auto* balloon = Find(c, gv1::BALLOON);
  k.set_fmc_to_balloon_min(
      balloon ? (common::UnixMs(balloon->at()) - common::UnixMs(c.first_medical_contact_at())) / 60000 : -1);
  if (c.condition() == gv1::STROKE) {
    k.set_target_min(kDoorToNeedleTarget);
    k.set_target_met(k.door_to_needle_min() >= 0 && k.door_to_needle_min() <= kDoorToNeedleTarget);
    k.set_imaging_target_min(kDoorToImagingTarget);
    k.set_imaging_target_met(k.door_to_imaging_min() >= 0 && k.door_to_imaging_min() <= kDoorToImagingTarget);
  } else if (c.condition() == gv1::STEMI) {
    k.set_target_min(kDoorToBalloonTarget);
    k.set_target_met(k.door_to_balloon_min() >= 0 && k.door_to_balloon_min() <= kDoorToBalloonTarget);
    k.set_fmc_target_min(kFmcToBalloonTarget);
    k.set_fmc_target_met(k.fmc_to_balloon_min() >= 0 && k.fmc_to_balloon_min() <= kFmcToBalloonTarget);
  }
  return k;
}

void TreatmentClocksTally::Add(const gv1::EmergencyCase& c) {
  const auto k = ClocksOf(c);
  auto add = [&](const char* clock, int64_t minutes, int64_t target, bool met) {
    if (minutes < 0 || target <= 0) return;
    const Key key{c.placement().institution_id(), static_cast<int>(c.condition()), clock};
    minutes_[key].push_back(minutes);
    met_[key] += met ? 1 : 0;
    targets_[key] = target;
  };
  if (c.condition() == gv1::STROKE) {
    add("door-to-needle", k.door_to_needle_min(), k.target_min(), k.target_met());
    add("door-to-imaging", k.door_to_imaging_min(), k.imaging_target_min(), k.imaging_target_met());
  } else if (c.condition() == gv1::STEMI) {
    add("door-to-balloon", k.door_to_balloon_min(), k.target_min(), k.target_met());
    add("fmc-to-balloon", k.fmc_to_balloon_min(), k.fmc_target_min(), k.fmc_target_met());
  }
}

std::vector<gv1::InstitutionClocks> TreatmentClocksTally::Rows() const {
  std::vector<gv1::InstitutionClocks> out;
  for (auto [key, v] : minutes_) {
    std::sort(v.begin(), v.end());
    gv1::InstitutionClocks row;
    row.set_institution_id(std::get<0>(key));
    row.set_condition(static_cast<gv1::Condition>(std::get<1>(key)));
    row.set_clock(std::get<2>(key));
    row.set_target_min(targets_.at(key));
    row.set_cases(static_cast<int32_t>(v.size()));
    row.set_target_met(met_.at(key));
    row.set_median_min(v[v.size() / 2]);
    row.set_worst_min(v.back());
    out.push_back(std::move(row));
  }
  return out;
}

absl::StatusOr<CaseEvents> KeepDestinationAsOverflow(const std::optional<gv1::EmergencyCase>& state,
                                                     const std::string& reason) {
  if (!state) return absl::NotFoundError("no such case");
  gv1::Placement overflow;
  overflow.set_step(gv1::LEAD_OVERFLOW);
  overflow.set_institution_id(state->placement().institution_id());
  overflow.set_ward_id("emergency-overflow");
  return RedirectCase(state, overflow, "", reason);
}

gv1::EmergencyCase CaseOf(const gv1::OpenCaseRequest& req, const std::string& case_id, const std::string& origin) {
  gv1::EmergencyCase c;
  c.set_case_id(case_id);
  c.set_condition(req.condition());
  c.set_severity(req.severity());
  *c.mutable_location() = req.location();
  YILIAN_SET_MS(c, first_medical_contact_at, common::UnixMs(req.first_medical_contact_at()));
  c.set_dispatch_centre(req.dispatch_centre().empty() ? origin : req.dispatch_centre());
  c.set_origin_institution_id(origin);
  c.set_consortium_id(req.consortium_id());
  *c.mutable_patient() = req.patient();
  return c;
}

gv1::BedHold EmergencyHold(const std::string& case_id, int64_t n, int64_t now_ms, int64_t hold_ms) {
  gv1::BedHold hold;
  hold.set_hold_id(absl::StrCat(case_id, "#", n));
  hold.set_purpose(gv1::EMERGENCY);
  hold.set_subject_id(case_id);
  YILIAN_SET_MS(hold, placed_at, now_ms);
  YILIAN_SET_MS(hold, expires_at, now_ms + hold_ms);
  return hold;
}

}  // namespace yilian::domain::greenchannel
