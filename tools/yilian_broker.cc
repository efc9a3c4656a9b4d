// yilian-broker: the embedded Kafka-protocol broker for the local platform.
// Starts librdkafka's mock cluster (3 brokers), creates the Yilian topics, prints
// "bootstrap=<servers>" and writes the servers to --bootstrap-file, then serves until
// SIGTERM/SIGINT. Memory only: it forgets everything when it stops. Services given
// `--kafka.bootstrap=@FILE` follow a restarted broker (new ports) by re-reading the file; their
// relays republish their journals into it and consumers skip what they already have.
//
// --self-check produces one message to every topic with a normal client and reads it back,
// then exits 0 (or 1, saying what failed).
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "CLI/CLI.hpp"
#include "yilian/bus/embedded_broker.h"
#include "yilian/bus/self_check.h"
#include "yilian/common/logging.h"
#include "yilian/host/service_host.h"

int main(int argc, char** argv) {
  using namespace yilian;
  host::BlockShutdownSignals();
  CLI::App app{"Yilian embedded Kafka-protocol broker (librdkafka mock cluster)"};
  bus::EmbeddedBrokerOptions options;
  std::string bootstrap_file;
  std::string check_servers;
  bool self_check = false;
  app.add_option("--brokers", options.brokers, "number of brokers")->check(CLI::Range(1, 9));
  app.add_option("--partitions", options.partitions, "partitions per topic")->check(CLI::Range(1, 64));
  app.add_option("--bootstrap-file", bootstrap_file, "write the bootstrap servers to this file");
  app.add_flag("--self-check", self_check, "round-trip one message per topic, then exit");
  app.add_option("--check", check_servers,
                 "round-trip a message through these running servers (on the yilian.check topic), then exit");
  CLI11_PARSE(app, argc, argv);
  if (!check_servers.empty()) {
    auto s = bus::RoundTrip(check_servers, {bus::kCheckTopic});
    std::printf("check %s: %s\n", check_servers.c_str(), s.ok() ? "a message round-tripped" : s.ToString().c_str());
    return s.ok() ? 0 : 1;
  }

  auto broker = bus::EmbeddedBroker::Start(options);
  if (!broker.ok()) {
    common::Logger().critical("embedded broker failed to start: {}", broker.status().ToString());
    return 1;
  }
  const std::string& bootstrap = (*broker)->bootstrap();
  std::printf("bootstrap=%s\n", bootstrap.c_str());
  std::fflush(stdout);
  if (!bootstrap_file.empty()) {  // whole or not at all: running services re-read it to follow a restart
    const std::string tmp = bootstrap_file + ".tmp";
    std::ofstream(tmp) << bootstrap << "\n";
    std::filesystem::rename(tmp, bootstrap_file);
  }
  if (self_check) {
    auto s = bus::RoundTrip(bootstrap, bus::YilianTopics());
    std::printf("self-check: %s\n", s.ok() ? "every topic round-tripped a message" : s.ToString().c_str());
    return s.ok() ? 0 : 1;
  }
  common::Logger().info("embedded broker: {} brokers, topics {} ... serving until SIGTERM", options.brokers,
                        bus::YilianTopics().front());
  host::WaitForShutdownSignal();
  common::Logger().info("embedded broker stopping");
  return 0;
}
