#include "yilian/fhir/organization.h"

#include "yilian/fhir/codes.h"

namespace yilian::fhir {

namespace rv1 = ::yilian::registry::v1;
using Json = nlohmann::json;

Json OrganizationOf(const rv1::InstitutionReply& reply) {
  const rv1::Institution& i = reply.institution();
  Json types = Json::array();
  if (i.type() != rv1::INSTITUTION_TYPE_UNSPECIFIED)
    types.push_back(CodeableConcept(kInstitutionTypeSystem, CodeOfName(rv1::InstitutionType_Name(i.type()))));
  if (i.tier() > 0) types.push_back(CodeableConcept(kTierSystem, std::to_string(i.tier())));
  for (int c : i.capabilities())
    types.push_back(
        CodeableConcept(kCapabilitySystem, CodeOfName(rv1::Capability_Name(static_cast<rv1::Capability>(c)))));
  Json o = {{"resourceType", "Organization"},
            {"id", i.institution_id()},
            {"meta", {{"versionId", std::to_string(reply.version())}}},
            {"identifier", Json::array({{{"system", kInstitutionSystem}, {"value", i.institution_id()}}})},
            {"active", !i.suspended()}};
  if (!types.empty()) o["type"] = types;
  if (!i.name().empty()) o["name"] = i.name();
  if (!i.short_name().empty()) o["alias"] = Json::array({i.short_name()});
  return o;
}

}  // namespace yilian::fhir
