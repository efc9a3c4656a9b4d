#pragma once
// The gateway's CapabilityStatement (GET /metadata): exactly the interactions and search
// parameters it serves, which a test checks against the running gateway.

#include <string>

#include "nlohmann/json.hpp"

namespace yilian::fhir {

// Task, ServiceRequest and Organization: what each serves.
struct ResourceCapability {
  std::string type;
  std::vector<std::string> interactions;   // "read", "search-type", "create", "update", "patch"
  std::vector<std::string> search_params;  // name (type taken from the FHIR definition)
};
const std::vector<ResourceCapability>& Capabilities();

// `base` is the server's base URL (implementation.url).
nlohmann::json CapabilityStatement(const std::string& base, const std::string& software_version);

}  // namespace yilian::fhir
