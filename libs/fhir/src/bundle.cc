#include "yilian/fhir/bundle.h"

#include "absl/strings/str_cat.h"

namespace yilian::fhir {

using Json = nlohmann::json;

Json Searchset(const std::string& base, const std::vector<Json>& resources, const std::string& self,
               const std::string& next) {
  Json links = Json::array({{{"relation", "self"}, {"url", self}}});
  if (!next.empty()) links.push_back({{"relation", "next"}, {"url", next}});
  Json entries = Json::array();
  for (const auto& r : resources)
    entries.push_back({{"fullUrl", absl::StrCat(base, "/", r.value("resourceType", ""), "/", r.value("id", ""))},
                       {"resource", r},
                       {"search", {{"mode", "match"}}}});
  Json b = {{"resourceType", "Bundle"}, {"type", "searchset"}, {"link", links}};
  if (!entries.empty()) b["entry"] = entries;
  return b;
}

}  // namespace yilian::fhir
