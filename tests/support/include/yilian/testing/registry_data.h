#pragma once
// Registry test data shared by the core and service tests.

#include <string>
#include <vector>

#include "yilian/registry/v1/registry.pb.h"

namespace yilian::testing {

// A valid institution near Loudi: "Institution <id>" with the given type, tier and capabilities.
inline registry::v1::Institution Inst(const std::string& id, registry::v1::InstitutionType type, int tier,
                                      std::vector<registry::v1::Capability> caps = {}) {
  registry::v1::Institution i;
  i.set_institution_id(id);
  i.set_name("Institution " + id);
  i.set_type(type);
  i.set_tier(tier);
  i.mutable_location()->set_latitude(27.73);
  i.mutable_location()->set_longitude(111.99);
  for (auto c : caps) i.add_capabilities(c);
  return i;
}

}  // namespace yilian::testing
