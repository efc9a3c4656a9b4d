#pragma once
// The principal a client certificate names, read field by field from the certificate itself
// (OpenSSL's X509_NAME), never by splitting a printed subject: CN = subject, O = institution
// id, OU = role name. A field given twice, missing, or holding a control character is
// refused (UNAUTHENTICATED), so no value can smuggle in another field ("CN=x,OU=service").

#include <string_view>

#include "absl/status/statusor.h"
#include "yilian/common/principal.h"

namespace yilian::host {

absl::StatusOr<common::Principal> PrincipalOfCertificate(std::string_view pem);

}  // namespace yilian::host
