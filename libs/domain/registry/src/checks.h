#pragma once
// Validation helpers shared by the registry's command functions.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "yilian/domain/registry/registry.h"

namespace yilian::domain::registry {

absl::Status CheckText(const std::string& field, const std::string& value, size_t max = 200, bool required = true);
absl::Status CheckReason(const std::string& value);
absl::Status CheckInstitution(const ::yilian::registry::v1::Institution& desc);
// The referenced institution exists (NOT_FOUND) and is not suspended (FAILED_PRECONDITION).
absl::StatusOr<::yilian::registry::v1::Institution> ActiveInstitution(const Directory& dir, const std::string& field,
                                                                      const std::string& id);

template <typename M>
::yilian::registry::v1::RegistryEvent Event(M* (::yilian::registry::v1::RegistryEvent::*mutable_field)(),
                                            const M& payload) {
  ::yilian::registry::v1::RegistryEvent e;
  *(e.*mutable_field)() = payload;
  return e;
}

}  // namespace yilian::domain::registry
