#pragma once
// Bundles the gateway answers with: a search's page (searchset, with self and next links) and
// an instance's history.

#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace yilian::fhir {

// `resources` as a searchset Bundle; `next` empty when there is no further page.
nlohmann::json Searchset(const std::string& base, const std::vector<nlohmann::json>& resources, const std::string& self,
                         const std::string& next);

// An instance's versions (oldest first, each with meta.versionId and meta.lastUpdated) as a
// history Bundle, newest first: version 1 as its create (POST, 201), the others as updates.
nlohmann::json History(const std::string& base, const std::vector<nlohmann::json>& versions, const std::string& self);

}  // namespace yilian::fhir
