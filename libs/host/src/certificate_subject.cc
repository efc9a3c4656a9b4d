#include "src/certificate_subject.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"

namespace yilian::host {
namespace {

absl::Status Refused(const std::string& why) {
  return absl::UnauthenticatedError(absl::StrCat(
      "the client certificate subject must name CN=<subject>, O=<institution id>, OU=<role> once each: ", why));
}

// The one value of `nid` in `name` ("" when absent).
absl::StatusOr<std::string> Field(X509_NAME* name, int nid, const char* label) {
  const int at = X509_NAME_get_index_by_NID(name, nid, -1);
  if (at < 0) return std::string();
  if (X509_NAME_get_index_by_NID(name, nid, at) >= 0) return Refused(absl::StrCat(label, " is repeated"));
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at)));
  if (n < 0) return Refused(absl::StrCat(label, " is not a readable string"));
  std::string value(reinterpret_cast<const char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  for (unsigned char c : value)
    if (c < 0x20 || c == 0x7f) return Refused(absl::StrCat(label, " holds a control character"));
  return value;
}

}  // namespace

absl::StatusOr<common::Principal> PrincipalOfCertificate(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr, X509_free);
  if (!cert) return absl::UnauthenticatedError("the client certificate cannot be read");
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (name == nullptr) return Refused("there is no subject");
  common::Principal who;
  auto cn = Field(name, NID_commonName, "CN");
  if (!cn.ok()) return cn.status();
  auto o = Field(name, NID_organizationName, "O");
  if (!o.ok()) return o.status();
  auto ou = Field(name, NID_organizationalUnitName, "OU");
  if (!ou.ok()) return ou.status();
  auto role = common::ParseRole(*ou);
  if (cn->empty() || o->empty() || !role.ok()) return Refused("one is missing or the role is unknown");
  return common::Principal{*std::move(cn), *std::move(o), *role};
}

}  // namespace yilian::host
