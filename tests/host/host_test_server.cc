// A service host in its own process for host_test: prints "port=<n>", serves until
// SIGTERM/SIGINT, then prints "stopped" and exits 0 — what every service's main does.
#include <cstdio>

#include "echo_service.h"
#include "yilian/host/service_host.h"

int main(int argc, char** argv) {
  using namespace yilian;
  host::BlockShutdownSignals();
  if (argc != 2) return 2;
  host::HostOptions options{.service_name = "host-test", .tokens_file = argv[1]};
  auto auth = host::Authenticator::FromTokensFile(argv[1]);
  if (!auth.ok()) return 3;
  host::EchoService echo(&*auth);
  auto h = host::ServiceHost::Start(options, *auth, {&echo});
  if (!h.ok()) {
    std::fprintf(stderr, "%s\n", h.status().ToString().c_str());
    return 1;
  }
  std::printf("port=%d\n", (*h)->port());
  std::fflush(stdout);
  host::WaitForShutdownSignal();
  (*h)->Shutdown(absl::Seconds(5));
  std::printf("stopped\n");
  return 0;
}
