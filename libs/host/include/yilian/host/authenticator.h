#pragma once
// Who is calling: turns a gRPC call's credentials into a Principal.
//
// - Embedded default: bearer tokens. The caller sends metadata
//   "authorization: Bearer <token>"; the tokens file holds only SHA-256 hashes:
//       # sha256-of-token                                 subject     institution  role
//       sha256:9f86d081884c7d659a2feaa0c55ad015...  admin@loudi loudi-1st    consortium-admin
//   (`printf %s TOKEN | sha256sum` makes the hash.)
// - Mutual TLS: the verified client certificate's subject names the caller:
//   CN = subject, O = institution id, OU = role name, each read from the certificate's own
//   fields (src/certificate_subject.h) and each exactly once; what a certificate names is
//   remembered (up to 4,096 certificates) so a call does not parse it again.
// No credentials, an unknown token or an unusable certificate -> UNAUTHENTICATED.
// With a rate limit, a principal over it -> RESOURCE_EXHAUSTED (rate_limiter.h).
//
// Immutable after construction (copies share one rate limiter); thread-safe.

#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/server_context.h"
#include "yilian/common/principal.h"
#include "yilian/host/rate_limiter.h"

namespace yilian::host {

// A check run at the top of an RPC handler: OK to proceed, or the status to return.
using Authorizer = std::function<absl::Status(const grpc::ServerContextBase&)>;

class Authenticator {
 public:
  // Reads a tokens file (format above). INVALID_ARGUMENT names the bad line.
  static absl::StatusOr<Authenticator> FromTokensFile(const std::string& path);
  // Tokens given in clear, for tests and tools: token -> principal (hashed on the way in).
  static Authenticator FromTokens(const std::map<std::string, common::Principal>& tokens);
  // Trusts the TLS layer's verified peer certificate.
  static Authenticator FromClientCertificates();

  // Limits every principal this authenticator (and its copies) lets in to `limit`.
  Authenticator& WithRateLimit(RateLimit limit, common::Clock* clock = &common::Clock::Real());

  absl::StatusOr<common::Principal> Authenticate(const grpc::ServerContextBase& ctx) const;
  // Who is calling, without counting the call against the rate limit (the access log's view).
  absl::StatusOr<common::Principal> Identify(const grpc::ServerContextBase& ctx) const;

  // An Authorizer that accepts any authenticated caller whose role is listed
  // (PERMISSION_DENIED otherwise, naming the role and what is needed).
  Authorizer RequireRoles(std::vector<common::Role> roles) const;

 private:
  // The principal each client certificate (PEM) names, read once. Thread-safe.
  class CertificateCache {
   public:
    absl::StatusOr<common::Principal> Principal(const std::string& pem);

   private:
    static constexpr size_t kMaxEntries = 4096;
    std::mutex mu_;
    std::unordered_map<std::string, absl::StatusOr<common::Principal>> read_;
  };
  bool use_certificates_ = false;
  std::shared_ptr<CertificateCache> certificates_;          // shared by copies; with certificates only
  std::shared_ptr<RateLimiter> limiter_;                    // shared by copies; null: no limit
  std::map<std::string, common::Principal> by_token_hash_;  // hex sha256 -> principal
};

// Hex SHA-256 of a token, as stored in tokens files.
std::string TokenHash(std::string_view token);

}  // namespace yilian::host
