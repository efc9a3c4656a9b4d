#include "yilian/host/authenticator.h"

#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "grpc/grpc_security_constants.h"
#include "src/certificate_subject.h"
#include "yilian/common/sha256.h"

namespace yilian::host {

std::string TokenHash(std::string_view token) { return common::Sha256Hex(token); }

absl::StatusOr<Authenticator> Authenticator::FromTokensFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("tokens file \"", path, "\" cannot be read"));
  Authenticator auth;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#') continue;
    std::vector<std::string> f = absl::StrSplit(l, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (f.size() != 4 || !absl::StartsWith(f[0], "sha256:") || f[0].size() != 7 + 64)
      return absl::InvalidArgumentError(
          absl::StrCat("tokens file \"", path, "\" line ", n,
                       ": expected \"sha256:<64 hex digits> <subject> <institution> <role>\""));
    auto role = common::ParseRole(f[3]);
    if (!role.ok())
      return absl::InvalidArgumentError(
          absl::StrCat("tokens file \"", path, "\" line ", n, ": ", role.status().message()));
    auth.by_token_hash_[absl::AsciiStrToLower(f[0].substr(7))] = common::Principal{f[1], f[2], *role};
  }
  return auth;
}

Authenticator Authenticator::FromTokens(const std::map<std::string, common::Principal>& tokens) {
  Authenticator auth;
  for (const auto& [token, principal] : tokens) auth.by_token_hash_[TokenHash(token)] = principal;
  return auth;
}

Authenticator Authenticator::FromClientCertificates() {
  Authenticator auth;
  auth.use_certificates_ = true;
  auth.certificates_ = std::make_shared<CertificateCache>();
  return auth;
}

absl::StatusOr<common::Principal> Authenticator::CertificateCache::Principal(const std::string& pem) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = read_.find(pem); it != read_.end()) return it->second;
  }
  auto who = PrincipalOfCertificate(pem);
  std::lock_guard<std::mutex> lock(mu_);
  if (read_.size() >= kMaxEntries) read_.clear();  // a bound, not an eviction policy: rereading is cheap
  read_.emplace(pem, who);
  return who;
}

Authenticator& Authenticator::WithRateLimit(RateLimit limit, common::Clock* clock) {
  limiter_ = limit.enabled() ? std::make_shared<RateLimiter>(limit, clock) : nullptr;
  return *this;
}

absl::StatusOr<common::Principal> Authenticator::Authenticate(const grpc::ServerContextBase& ctx) const {
  auto who = Identify(ctx);
  if (who.ok() && limiter_ && !limiter_->Allow(who->subject))
    return absl::ResourceExhaustedError(absl::StrCat(who->subject, " is over its limit of ",
                                                     limiter_->limit().calls_per_second,
                                                     " calls a second; slow down and retry"));
  return who;
}

absl::StatusOr<common::Principal> Authenticator::Identify(const grpc::ServerContextBase& ctx) const {
  if (use_certificates_) {
    auto auth = ctx.auth_context();
    if (!auth || !auth->IsPeerAuthenticated())
      return absl::UnauthenticatedError("a client certificate is required (mutual TLS)");
    auto pem = auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
    if (pem.empty()) return absl::UnauthenticatedError("the client certificate is not available");
    return certificates_->Principal(std::string(pem.front().data(), pem.front().size()));
  }
  const auto& md = ctx.client_metadata();
  auto it = md.find("authorization");
  if (it == md.end())
    return absl::UnauthenticatedError("no credentials: send metadata \"authorization: Bearer <token>\"");
  absl::string_view value(it->second.data(), it->second.size());
  if (!absl::ConsumePrefix(&value, "Bearer ") || value.empty())
    return absl::UnauthenticatedError("the authorization metadata must be \"Bearer <token>\"");
  auto found = by_token_hash_.find(TokenHash(std::string_view(value.data(), value.size())));
  if (found == by_token_hash_.end()) return absl::UnauthenticatedError("unknown token");
  return found->second;
}

Authorizer Authenticator::RequireRoles(std::vector<common::Role> roles) const {
  return [self = *this, roles = std::move(roles)](const grpc::ServerContextBase& ctx) -> absl::Status {
    auto principal = self.Authenticate(ctx);
    if (!principal.ok()) return principal.status();
    for (auto r : roles)
      if (principal->role == r) return absl::OkStatus();
    std::vector<std::string> names;
    for (auto r : roles) names.emplace_back(common::RoleName(r));
    return absl::PermissionDeniedError(
        absl::StrCat("role ", common::RoleName(principal->role),
                     " may not call this; it needs one of: ", absl::StrJoin(names, ", ")));
  };
}

}  // namespace yilian::host
