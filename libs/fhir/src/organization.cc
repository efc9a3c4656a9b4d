#include "yilian/fhir/organization.h"

#include "absl/strings/ascii.h"

namespace yilian::fhir {

namespace rv1 = ::yilian::registry::v1;
using Json = nlohmann::json;

namespace {

std::string Code(const std::string& enum_name) {
  std::string s = absl::AsciiStrToLower(enum_name);
  for (auto& c : s) c = c == '_' ? '-' : c;
  return s;
}
Json Concept(const char* system, const std::string& code) {
  return {{"coding", Json::array({{{"system", system}, {"code", code}}})}};
}

}  // namespace

Json OrganizationOf(const rv1::InstitutionReply& reply) {
  const rv1::Institution& i = reply.institution();
  Json types = Json::array();
  if (i.type() != rv1::INSTITUTION_TYPE_UNSPECIFIED)
    types.push_back(Concept(kInstitutionTypeSystem, Code(rv1::InstitutionType_Name(i.type()))));
  if (i.tier() > 0) types.push_back(Concept(kTierSystem, std::to_string(i.tier())));
  for (int c : i.capabilities())
    types.push_back(Concept(kCapabilitySystem, Code(rv1::Capability_Name(static_cast<rv1::Capability>(c)))));
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
