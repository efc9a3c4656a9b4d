#include "yilian/fhir/capability.h"

namespace yilian::fhir {

using Json = nlohmann::json;

const std::vector<ResourceCapability>& Capabilities() {
  static const std::vector<ResourceCapability> c = {
      {"Task",
       {"read", "vread", "history-instance", "search-type", "create", "update", "patch"},
       {"owner", "requester", "patient", "status", "business-status", "priority", "authored-on", "_count"}},
      {"ServiceRequest", {"read"}, {}},
      {"Organization", {"read", "search-type"}, {"_count"}},
  };
  return c;
}

namespace {

std::string SearchType(const std::string& name) {
  if (name == "status" || name == "business-status" || name == "priority") return "token";
  if (name == "authored-on") return "date";
  if (name == "_count") return "number";
  return "reference";
}

}  // namespace

Json CapabilityStatement(const std::string& base, const std::string& software_version) {
  Json resources = Json::array();
  for (const auto& r : Capabilities()) {
    Json interactions = Json::array();
    for (const auto& i : r.interactions) interactions.push_back({{"code", i}});
    const bool history = r.type == "Task";
    Json res = {{"type", r.type}, {"interaction", interactions}, {"versioning", "versioned"}, {"readHistory", history}};
    if (r.type == "Task") {
      res["conditionalCreate"] = true;
      res["updateCreate"] = false;
    }
    Json params = Json::array();
    for (const auto& p : r.search_params) params.push_back({{"name", p}, {"type", SearchType(p)}});
    if (!params.empty()) res["searchParam"] = params;
    resources.push_back(res);
  }
  return {{"resourceType", "CapabilityStatement"},
          {"status", "active"},
          {"date", "2026-12-08"},
          {"kind", "instance"},
          {"software", {{"name", "Yilian FHIR gateway"}, {"version", software_version}}},
          {"implementation", {{"description", "Yilian regional medical consortium platform"}, {"url", base}}},
          {"fhirVersion", "4.0.1"},
          {"format", Json::array({"json"})},
          {"patchFormat", Json::array({"application/json-patch+json"})},
          {"rest",
           Json::array({{{"mode", "server"},
                         {"security",
                          {{"cors", false},
                           {"description",
                            "Authorization: Bearer <token>, passed to the services as the caller's own credential"}}},
                         {"resource", resources}}})}};
}

}  // namespace yilian::fhir
