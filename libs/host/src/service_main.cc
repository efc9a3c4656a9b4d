#include "yilian/host/service_main.h"

#include <cstdio>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "yilian/common/logging.h"
#include "yilian/host/metrics.h"
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
#if defined(__GLIBC__)  // before any thread starts: each would otherwise get an arena of its own
  if (const int64_t arenas = config->GetInt("memory.malloc_arenas"); arenas > 0)
    mallopt(M_ARENA_MAX, static_cast<int>(arenas));
#endif
  if (auto s = common::InitLogging({.service = service,
                                    .level = config->GetString("log.level"),
                                    .file = config->GetString("log.file"),
                                    .format = config->GetString("log.format"),
                                    .file_max_bytes = static_cast<uint64_t>(config->GetInt("log.file_max_mb")) << 20,
                                    .file_keep = static_cast<int>(config->GetInt("log.file_keep")),
                                    .to_stderr = config->GetBool("log.stderr")});
      !s.ok())
    return fail(s);
  common::Logger().info("{} starting: {}", service, config->Describe());
  HostOptions options = HostOptionsFrom(*config, service);
  std::unique_ptr<Metrics> metrics;
  if (const std::string listen = config->GetString("metrics.listen"); !listen.empty()) {
    auto m = Metrics::Start(listen, service);
    if (!m.ok()) return fail(m.status());
    metrics = std::move(*m);
    options.metrics = metrics.get();
    common::Logger().info("{}: Prometheus metrics on http://{}/metrics", service, metrics->address());
  }
  auto auth = AuthenticatorFor(options);
  if (!auth.ok()) return fail(auth.status());
  auto started = start(*config, options, *auth);
  if (!started.ok()) return fail(started.status());
  if (metrics && !config->GetString("address.file").empty())  // before the address: launchers wait for that one
    WriteAddressFile(config->GetString("address.file") + ".metrics", metrics->address());
  WriteAddressFile(config->GetString("address.file"), started->address);
  std::printf("listening=%s\n", started->address.c_str());
  if (metrics) std::printf("metrics=%s\n", metrics->address().c_str());
  std::fflush(stdout);

  WaitForShutdownSignal();
  common::Logger().info("{} stopping", service);
  // The gauges read the service's parts (journal, relay, consumer ...), which go with
  // `running`: a refresh during their teardown read freed memory (once it hung the process
  // on a freed mutex).
  if (metrics) metrics->StopGauges();
  started->running.reset();
  metrics.reset();
  return 0;
}

}  // namespace yilian::host
