#pragma once
// Bundles the gateway answers with: a search's page (searchset, with self and next links).

#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace yilian::fhir {

// `resources` as a searchset Bundle; `next` empty when there is no further page.
nlohmann::json Searchset(const std::string& base, const std::vector<nlohmann::json>& resources, const std::string& self,
                         const std::string& next);

}  // namespace yilian::fhir
