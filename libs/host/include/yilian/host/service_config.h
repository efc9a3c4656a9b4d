#pragma once
// What every Yilian service's main shares: the common configuration keys (data.dir, listen,
// address.file, tokens.file, tls.*, log.*, rebuild), the host options and authenticator they
// give, and the address file a launcher waits for.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "yilian/common/config.h"
#include "yilian/host/authenticator.h"
#include "yilian/host/service_host.h"

namespace yilian::host {

// The common keys; `service` names the default data directory (.yilian/<service>).
std::vector<common::ConfigKey> ServiceConfigKeys(const std::string& service);
HostOptions HostOptionsFrom(const common::Config& config, const std::string& service);
// Client certificates when TLS is configured, else the tokens file.
absl::StatusOr<Authenticator> AuthenticatorFor(const HostOptions& options);
// Writes `address` to `file` atomically (tmp + rename); nothing when `file` is empty.
void WriteAddressFile(const std::string& file, const std::string& address);

}  // namespace yilian::host
