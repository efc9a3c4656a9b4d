#include "board.h"

namespace yilian::greenchannel {

namespace dgc = ::yilian::domain::greenchannel;
namespace gv1 = ::yilian::greenchannel::v1;

std::string WardKeyOf(const gv1::Placement& p) {
  return p.ward_id().empty() || p.step() == gv1::LEAD_OVERFLOW ? "" : WardKey(p.institution_id(), p.ward_id());
}

absl::StatusOr<WardStream> Board::LoadWard(const std::string& key) {
  auto row = live_.Ward(key);
  if (!row.ok()) return row.status();
  if (!*row) return WardStream(kWardKind, key, std::nullopt, 0);
  return WardStream(kWardKind, key, (*row)->board(), (*row)->version());
}

absl::StatusOr<std::vector<dgc::Site>> Board::SitesFor(const std::string& consortium_id,
                                                       const std::set<std::string>& exclude) {
  auto sites = sites_->Sites(consortium_id, exclude);
  if (!sites.ok()) return sites;
  if (auto s = live_.AddWards(*sites); !s.ok()) return s;
  return sites;
}

}  // namespace yilian::greenchannel
