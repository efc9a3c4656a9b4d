#pragma once
// The main() every Yilian service shares: block shutdown signals, load the config (usage and
// exit 2 on a bad one), start logging, build the host options and authenticator, start the
// service, write its address file and print "listening=<address>", serve until SIGTERM or
// SIGINT, then stop it. Only the start differs per service.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "yilian/common/config.h"
#include "yilian/host/authenticator.h"
#include "yilian/host/service_host.h"

namespace yilian::host {

struct Started {
  std::string address;
  std::shared_ptr<void> running;  // destroyed to stop the service (before the authenticator)
};
using Starter = std::function<absl::StatusOr<Started>(const common::Config&, const HostOptions&, const Authenticator&)>;

// Returns the process exit code: 0 after a clean stop, 1 when the start failed, 2 on a bad config.
int ServiceMain(int argc, char** argv, const std::string& service, const std::vector<common::ConfigKey>& schema,
                const Starter& start);

}  // namespace yilian::host
