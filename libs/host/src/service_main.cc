#include "yilian/host/service_main.h"

#include <cstdio>

#include "yilian/common/logging.h"
#include "yilian/host/service_config.h"

namespace yilian::host {

int ServiceMain(int argc, char** argv, const std::string& service, const std::vector<common::ConfigKey>& schema,
                const Starter& start) {
  BlockShutdownSignals();
  auto fail = [&](const absl::Status& s) {
    std::fprintf(stderr, "yilian-%s: %s\n", service.c_str(), s.ToString().c_str());
    return 1;
  };
  auto config = common::Config::Load(schema, argc, argv);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n\n%s", config.status().ToString().c_str(), common::Config::Usage(schema).c_str());
    return 2;
  }
  if (auto s = common::InitLogging({service, config->GetString("log.level"), config->GetString("log.file")}); !s.ok())
    return fail(s);
  common::Logger().info("{} starting: {}", service, config->Describe());
  const HostOptions options = HostOptionsFrom(*config, service);
  auto auth = AuthenticatorFor(options);
  if (!auth.ok()) return fail(auth.status());
  auto started = start(*config, options, *auth);
  if (!started.ok()) return fail(started.status());
  WriteAddressFile(config->GetString("address.file"), started->address);
  std::printf("listening=%s\n", started->address.c_str());
  std::fflush(stdout);

  WaitForShutdownSignal();
  common::Logger().info("{} stopping", service);
  started->running.reset();
  return 0;
}

}  // namespace yilian::host
