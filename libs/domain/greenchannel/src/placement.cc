#include "yilian/domain/greenchannel/placement.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "yilian/common/problem.h"

namespace yilian::domain::greenchannel {

namespace rv1 = ::yilian::registry::v1;
namespace gv1 = ::yilian::greenchannel::v1;

absl::StatusOr<Needs> NeedsOf(gv1::Condition condition) {
  switch (condition) {
    case gv1::STROKE:
      return Needs{rv1::STROKE_CENTRE, rv1::WARD_STROKE_UNIT};
    case gv1::STEMI:
      return Needs{rv1::CHEST_PAIN_CENTRE, rv1::WARD_CCU};
    case gv1::MAJOR_TRAUMA:
      return Needs{rv1::TRAUMA_CENTRE, rv1::WARD_ICU};
    case gv1::MATERNAL_EMERGENCY:
      return Needs{rv1::MATERNAL, rv1::WARD_MATERNAL};
    case gv1::PAEDIATRIC_CRITICAL:
      return Needs{rv1::PAEDIATRICS, rv1::WARD_PAEDIATRIC};
    case gv1::OTHER:
      return Needs{rv1::EMERGENCY, rv1::WARD_GENERAL};
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("condition ", static_cast<int>(condition),
                       " is not one of STROKE, STEMI, MAJOR_TRAUMA, MATERNAL_EMERGENCY, PAEDIATRIC_CRITICAL, OTHER"));
  }
}

namespace {

bool Has(const rv1::Institution& i, rv1::Capability c) { return registry::HasCapability(i, c); }

// The ward of `kind` with the most usable beds (emergencies may use the reserve).
const WardBeds* BestWard(const Site& s, rv1::WardKind kind) {
  const WardBeds* best = nullptr;
  for (const auto& w : s.wards)
    if (w.kind == kind && w.free + w.free_reserve > 0 &&
        (!best || w.free + w.free_reserve > best->free + best->free_reserve))
      best = &w;
  return best;
}

std::string Minutes(double m) { return absl::StrFormat("%.0f min", m); }

}  // namespace

absl::StatusOr<gv1::Placement> Place(gv1::Condition condition, const rv1::Location& patient,
                                     const std::vector<Site>& sites, const PlacementOptions& options) {
  auto needs = NeedsOf(condition);
  if (!needs.ok()) return needs.status();
  if (!std::isfinite(patient.latitude()) || std::abs(patient.latitude()) > 90 || !std::isfinite(patient.longitude()) ||
      std::abs(patient.longitude()) > 180)
    return common::InvalidField("location", "patient location is out of range");
  if (!(options.speed_kmh > 0) || !(options.circle_minutes > 0))
    return absl::InvalidArgumentError("placement speed and circle must be positive");

  struct Ranked {
    const Site* site;
    gv1::Candidate c;
  };
  std::vector<Ranked> ranked;
  for (const auto& s : sites) {
    gv1::Candidate c;
    c.set_institution_id(s.institution.institution_id());
    c.set_tier(s.institution.tier());
    c.set_distance_km(DistanceKm(patient, s.institution.location()));
    c.set_travel_minutes(c.distance_km() / options.speed_kmh * 60);
    ranked.push_back({&s, std::move(c)});
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Ranked& a, const Ranked& b) { return a.c.travel_minutes() < b.c.travel_minutes(); });

  gv1::Placement out;
  auto choose = [&](Ranked& r, gv1::EscalationStep step, const WardBeds* w, const std::string& why) {
    out.set_step(step);
    out.set_institution_id(r.c.institution_id());
    if (w) {
      out.set_ward_id(w->ward_id);
      out.set_uses_reserve(w->free == 0);
      r.c.set_ward_id(w->ward_id);
      r.c.set_ward_kind(w->kind);
      r.c.set_free_beds(w->free + w->free_reserve);
    } else {
      out.set_ward_id("emergency-overflow");
    }
    r.c.set_reason(absl::StrCat("chosen: ", why));
  };
  // Steps 1 and 2: capable, with a bed of the needed kind, nearest first.
  for (auto& r : ranked) {
    const auto& inst = r.site->institution;
    if (!out.institution_id().empty()) break;
    if (inst.suspended()) {
      r.c.set_reason("suspended");
      continue;
    }
    if (!Has(inst, needs->capability)) {
      r.c.set_reason(absl::StrCat("lacks ", rv1::Capability_Name(needs->capability)));
      continue;
    }
    const WardBeds* w = BestWard(*r.site, needs->ward_kind);
    if (!w) {
      r.c.set_reason(absl::StrCat("no free ", rv1::WardKind_Name(needs->ward_kind), " bed"));
      continue;
    }
    const bool in_circle = r.c.travel_minutes() <= options.circle_minutes;
    choose(r, in_circle ? gv1::IN_CIRCLE : gv1::NEXT_BY_TRAVEL_TIME, w,
           absl::StrCat("nearest capable with a free ", rv1::WardKind_Name(needs->ward_kind), " bed, ",
                        Minutes(r.c.travel_minutes()), in_circle ? " (inside the " : " (beyond the ",
                        Minutes(options.circle_minutes), " circle)"));
  }
  // Step 3: a tier-3 hospital's acute bed (ICU, then general), nearest first.
  for (rv1::WardKind kind : {rv1::WARD_ICU, rv1::WARD_GENERAL}) {
    for (auto& r : ranked) {
      if (!out.institution_id().empty()) break;
      if (r.site->institution.suspended() || r.site->institution.tier() != 3) continue;
      if (const WardBeds* w = BestWard(*r.site, kind))
        choose(r, gv1::HIGHER_TIER, w,
               absl::StrCat("no ", rv1::WardKind_Name(needs->ward_kind), " bed anywhere; nearest tier-3 with a free ",
                            rv1::WardKind_Name(kind), " bed, ", Minutes(r.c.travel_minutes())));
    }
  }
  // Step 4: the nearest consortium lead takes the patient into emergency overflow.
  for (auto& r : ranked) {
    if (!out.institution_id().empty()) break;
    if (!r.site->leads_a_consortium || r.site->institution.suspended()) continue;
    choose(r, gv1::LEAD_OVERFLOW, nullptr,
           absl::StrCat("no free bed fits; nearest consortium lead's emergency overflow, ",
                        Minutes(r.c.travel_minutes())));
  }
  if (out.institution_id().empty())
    return absl::FailedPreconditionError("no institution can take the patient: no free bed and no consortium lead");
  // The nearest `max_listed` and the chosen one explain the choice; the rest are counted.
  int listed = 0;
  for (auto& r : ranked) {
    const bool chosen = r.c.institution_id() == out.institution_id();
    if (options.max_listed > 0 && listed >= options.max_listed && !chosen) continue;
    if (r.c.reason().empty()) r.c.set_reason("not needed: a nearer one was chosen");
    *out.add_considered() = std::move(r.c);
    ++listed;
  }
  out.set_considered_total(static_cast<int32_t>(ranked.size()));
  return out;
}

}  // namespace yilian::domain::greenchannel
