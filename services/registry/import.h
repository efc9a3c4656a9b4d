#pragma once
// Bulk import of a consortium description (YAML, or JSON, which YAML reads too) through
// the registry's own gRPC commands, so every rule and every event applies as for a hand-made
// change. Idempotent: each item is compared with what the registry holds and only what
// differs is sent (with request ids derived from the item), so importing twice changes
// nothing. Additive: it never removes members, wards or sessions the file does not list.
//
//   institutions:      [{id, name, short_name, tier, type, location: {lat, lon},
//                        capabilities: [...], wards: [{id, name, kind, capacity,
//                        emergency_reserved}]}]
//   consortia:         [{id, name, lead, members: [...], cross_region}]
//   expert_sessions:   [{id, institution, expert_id, expert_name, department,
//                        starts_at, ends_at, slots, release_cutoff, reserved: [{institution, slots}]}]
//
// Enum values use the proto names (TERTIARY_HOSPITAL, STROKE_CENTRE, WARD_ICU, MORNING).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "yilian/registry/v1/registry.grpc.pb.h"

namespace yilian::registry {
struct ImportPlan {
  std::vector<v1::Institution> institutions;
  std::vector<v1::Ward> wards;
  std::vector<v1::Consortium> consortia;
  std::vector<v1::ExpertSession> sessions;
};

// INVALID_ARGUMENT naming the path of the first bad item ("institutions[2].tier: ...").
absl::StatusOr<ImportPlan> ParseImportFile(const std::string& path);
absl::StatusOr<ImportPlan> ParseImportText(const std::string& text);

struct ImportReport {
  int created = 0;
  int updated = 0;
  int unchanged = 0;
  std::string Summary() const;
};

// Sends the plan to a registry as `token` (a CONSORTIUM_ADMIN). Stops at the first refused
// command and says which item it was; what was sent before stays (a rerun continues).
absl::StatusOr<ImportReport> Import(v1::Registry::StubInterface& registry, const std::string& token,
                                    const ImportPlan& plan);

}  // namespace yilian::registry
