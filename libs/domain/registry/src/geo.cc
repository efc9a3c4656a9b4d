// Where institutions are and what they can do: the facts placement and routing rank on.
#include <algorithm>
#include <cmath>

#include "yilian/domain/registry/registry.h"

namespace yilian::domain::registry {

namespace rv1 = ::yilian::registry::v1;

bool HasCapability(const rv1::Institution& i, rv1::Capability c) {
  return std::find(i.capabilities().begin(), i.capabilities().end(), c) != i.capabilities().end();
}

double DistanceKm(const rv1::Location& a, const rv1::Location& b) {
  constexpr double kEarthKm = 6371.0088, kRad = M_PI / 180;
  const double dlat = (b.latitude() - a.latitude()) * kRad, dlon = (b.longitude() - a.longitude()) * kRad;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) + std::cos(a.latitude() * kRad) *
                                                                 std::cos(b.latitude() * kRad) * std::sin(dlon / 2) *
                                                                 std::sin(dlon / 2);
  return 2 * kEarthKm * std::asin(std::min(1.0, std::sqrt(h)));
}

}  // namespace yilian::domain::registry
