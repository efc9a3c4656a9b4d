#include "yilian/privacy/identity.h"

#include "absl/strings/str_cat.h"
#include "yilian/common/logging.h"
#include "yilian/common/problem.h"
#include "yilian/privacy/aes_gcm.h"

namespace yilian::privacy {

namespace cv1 = ::yilian::common::v1;
namespace {

absl::Status Limit(const std::string& value, size_t max, const char* field) {
  if (value.size() > max)
    return common::FieldError(absl::StrCat("identity.", field),
                              absl::InvalidArgumentError(absl::StrCat("identity.", field, " is longer than ", max)));
  return absl::OkStatus();
}

}  // namespace

bool IsEmpty(const cv1::PatientIdentity& identity) { return identity.ByteSizeLong() == 0; }

absl::Status CheckIdentity(const cv1::PatientIdentity& identity) {
  for (auto s : {Limit(identity.name(), 200 * 4, "name"), Limit(identity.national_id(), 32, "national_id"),
                 Limit(identity.phone(), 32, "phone"), Limit(identity.address(), 500 * 4, "address")})
    if (!s.ok()) return s;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<cv1::SealedIdentity>> SealIdentity(KeyVault& vault, const cv1::PatientRef& patient,
                                                                const cv1::PatientIdentity& identity) {
  if (IsEmpty(identity)) return std::nullopt;
  if (patient.value().empty())
    return absl::InvalidArgumentError("identity needs a patient reference: identifying data is kept per patient");
  if (auto s = CheckIdentity(identity); !s.ok()) return s;
  auto key = vault.KeyFor(patient.value());
  if (!key.ok()) return key.status();
  auto sealed = Seal(*key, identity.SerializeAsString(), patient.value());
  if (!sealed.ok()) return sealed.status();
  cv1::SealedIdentity out;
  out.set_nonce(std::move(sealed->nonce));
  out.set_ciphertext(std::move(sealed->ciphertext));
  return out;
}

cv1::IdentityView RevealIdentity(const KeyVault& vault, const cv1::PatientRef& patient,
                                 const cv1::SealedIdentity& sealed, bool allowed) {
  cv1::IdentityView view;
  if (sealed.ciphertext().empty()) return view;  // IDENTITY_NONE
  view.set_state(cv1::IDENTITY_UNAVAILABLE);
  auto erased = vault.Erased(patient.value());
  if (erased.ok() && *erased) {
    view.set_state(cv1::IDENTITY_ERASED);
    return view;
  }
  if (!allowed) {
    view.set_state(cv1::IDENTITY_WITHHELD);
    return view;
  }
  auto key = vault.Find(patient.value());
  if (!key.ok() || !*key) {
    common::Logger().error("no data key for a sealed identity of patient {}: {}", patient.value(),
                           key.ok() ? "not in the vault" : key.status().ToString());
    return view;
  }
  auto plain = Open(**key, {sealed.nonce(), sealed.ciphertext()}, patient.value());
  if (!plain.ok() || !view.mutable_identity()->ParseFromString(*plain)) {
    common::Logger().error("a sealed identity of patient {} does not open", patient.value());
    view.clear_identity();
    return view;
  }
  view.set_state(cv1::IDENTITY_SHOWN);
  return view;
}

}  // namespace yilian::privacy
