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

Json History(const std::string& base, const std::vector<Json>& versions, const std::string& self) {
  Json entries = Json::array();
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    const Json& r = *it;
    const std::string type = r.value("resourceType", ""), id = r.value("id", "");
    const std::string version = r.contains("meta") ? r["meta"].value("versionId", "") : "";
    const bool created = version == "1";
    Json response = {{"status", created ? "201 Created" : "200 OK"}, {"etag", absl::StrCat("W/\"", version, "\"")}};
    if (r.contains("meta") && r["meta"].contains("lastUpdated")) response["lastModified"] = r["meta"]["lastUpdated"];
    entries.push_back({{"fullUrl", absl::StrCat(base, "/", type, "/", id)},
                       {"resource", r},
                       {"request", {{"method", created ? "POST" : "PUT"}, {"url", created ? type : type + "/" + id}}},
                       {"response", response}});
  }
  Json b = {{"resourceType", "Bundle"},
            {"type", "history"},
            {"total", versions.size()},
            {"link", Json::array({{{"relation", "self"}, {"url", self}}})}};
  if (!entries.empty()) b["entry"] = entries;
  return b;
}

}  // namespace yilian::fhir
