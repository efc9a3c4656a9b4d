#pragma once
// Where an emergency patient should go: the green channel's placement rules as a pure
// function (no gRPC, Kafka or RocksDB).
//
// Needed: the capability and ward kind of the condition (NeedsOf). Ranked by estimated travel
// time (straight-line distance at a configured speed) from the patient. Then, as DOMAIN.md
// asks, escalate rather than refuse:
//   1. IN_CIRCLE            nearest capable institution with a free bed of the kind, within
//                           the emergency circle (30 minutes by default);
//   2. NEXT_BY_TRAVEL_TIME  the same beyond the circle;
//   3. HIGHER_TIER          no such bed anywhere: the nearest tier-3 hospital with a free acute
//                           bed (ICU, then general);
//   4. LEAD_OVERFLOW        nothing free: the nearest consortium lead's emergency overflow.
// The nearest institutions considered (and the chosen one) are listed with the reason each
// was or was not chosen; considered_total counts them all.
// Pure and thread-safe.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "yilian/domain/registry/registry.h"
#include "yilian/greenchannel/v1/greenchannel.pb.h"
#include "yilian/registry/v1/registry.pb.h"

namespace yilian::domain::greenchannel {
struct Needs {
  ::yilian::registry::v1::Capability capability;
  ::yilian::registry::v1::WardKind ward_kind;
};
// INVALID_ARGUMENT for CONDITION_UNSPECIFIED or an unknown value.
absl::StatusOr<Needs> NeedsOf(::yilian::greenchannel::v1::Condition condition);

// Beds a ward can give right now (after holds and occupancy).
struct WardBeds {
  std::string ward_id;
  ::yilian::registry::v1::WardKind kind = ::yilian::registry::v1::WARD_KIND_UNSPECIFIED;
  int32_t free = 0;          // free beds outside the emergency reserve
  int32_t free_reserve = 0;  // free beds of the emergency reserve
};

struct Site {
  ::yilian::registry::v1::Institution institution;  // suspended institutions are skipped (and listed as such)
  std::vector<WardBeds> wards;
  bool leads_a_consortium = false;
};

struct PlacementOptions {
  double speed_kmh = 40;       // ambulance average, straight line
  double circle_minutes = 30;  // the emergency circle
  // Candidates listed in the answer: the nearest this many, plus the chosen one wherever it
  // ranks (0 = all). Every case event carries its placement, so a province-wide list of
  // hundreds would weigh on every write.
  int max_listed = 10;
};

// Great-circle distance in km.
using registry::DistanceKm;

// INVALID_ARGUMENT for a bad condition, location or options; FAILED_PRECONDITION only when
// there is no site at all that could take the patient (no lead hospital to overflow to).
absl::StatusOr<::yilian::greenchannel::v1::Placement> Place(::yilian::greenchannel::v1::Condition condition,
                                                            const ::yilian::registry::v1::Location& patient,
                                                            const std::vector<Site>& sites,
                                                            const PlacementOptions& options = {});

}  // namespace yilian::domain::greenchannel
