#pragma once
// An institution of the registry as a FHIR R4 Organization: its id, name and short name
// (alias), active unless suspended, its type and tier (Yilian code systems) and its
// capabilities (stroke centre, chest pain centre, ...) as further types. Pure; thread-safe.

#include "nlohmann/json.hpp"
#include "yilian/registry/v1/registry.pb.h"

namespace yilian::fhir {

inline constexpr char kInstitutionSystem[] = "urn:yilian:institution";
inline constexpr char kInstitutionTypeSystem[] = "urn:yilian:institution-type";
inline constexpr char kTierSystem[] = "urn:yilian:tier";
inline constexpr char kCapabilitySystem[] = "urn:yilian:capability";

nlohmann::json OrganizationOf(const registry::v1::InstitutionReply& reply);

}  // namespace yilian::fhir
