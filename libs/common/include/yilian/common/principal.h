#pragma once
// The authenticated caller of an RPC: who, for which institution, in which role.
// Produced by the service host's authenticator, checked by the domain cores, recorded
// in every event envelope. A plain value type.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "yilian/common/v1/common.pb.h"

namespace yilian::common {

using Role = ::yilian::common::v1::Role;

struct Principal {
  std::string subject;         // token owner or certificate subject
  std::string institution_id;  // the institution the caller acts for
  Role role = Role::ROLE_UNSPECIFIED;

  bool operator==(const Principal&) const = default;
  ::yilian::common::v1::Principal ToProto() const;
  static Principal FromProto(const ::yilian::common::v1::Principal& p);
};

// "consortium-admin", "clinician", "referral-office", "dispatch", "auditor", "service",
// "hospital-system".
std::string RoleName(Role role);
// Inverse of RoleName; INVALID_ARGUMENT listing the accepted names otherwise.
absl::StatusOr<Role> ParseRole(std::string_view name);

}  // namespace yilian::common
