#pragma once
// Patient identity at a service's edge: a request's PatientIdentity is checked and sealed
// under the patient's data key before anything is stored; a reply shows it only to callers
// the service allows, and says when it was erased.

#include "absl/status/statusor.h"
#include "yilian/common/v1/common.pb.h"
#include "yilian/privacy/key_vault.h"

namespace yilian::privacy {
bool IsEmpty(const common::v1::PatientIdentity& identity);
// Length limits; the message names the field, never its value.
absl::Status CheckIdentity(const common::v1::PatientIdentity& identity);

// An empty identity seals to nothing (nullopt). INVALID_ARGUMENT without a patient reference
// or for a bad field; FAILED_PRECONDITION when the patient was erased.
absl::StatusOr<std::optional<common::v1::SealedIdentity>> SealIdentity(KeyVault& vault,
                                                                       const common::v1::PatientRef& patient,
                                                                       const common::v1::PatientIdentity& identity);

// What a reply says: NONE when nothing was sealed, WITHHELD when `allowed` is false, ERASED
// when the key is gone by erasure, UNAVAILABLE when it is gone otherwise (or does not open).
common::v1::IdentityView RevealIdentity(const KeyVault& vault, const common::v1::PatientRef& patient,
                                        const common::v1::SealedIdentity& sealed, bool allowed);

}  // namespace yilian::privacy
