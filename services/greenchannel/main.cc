// yilian-greenchannel: wiring only. Config -> authenticator, catch-up feeds -> the stack
// (stack.h) -> serve until SIGTERM/SIGINT.
#include <cstdio>

#include "config.h"
#include "stack.h"
#include "yilian/common/logging.h"
#include "yilian/host/service_config.h"

using namespace yilian;

namespace {

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "yilian-greenchannel: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  host::BlockShutdownSignals();
  const auto schema = greenchannel::ConfigSchema();
  auto config = common::Config::Load(schema, argc, argv);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n\n%s", config.status().ToString().c_str(), common::Config::Usage(schema).c_str());
    return 2;
  }
  if (auto s = common::InitLogging({"greenchannel", config->GetString("log.level"), config->GetString("log.file")});
      !s.ok())
    return Fail(s);
  common::Logger().info("greenchannel starting: {}", config->Describe());
  auto kafka = bus::KafkaSettingsFrom(*config);
  if (!kafka.ok()) return Fail(kafka.status());
  auto writer_options = greenchannel::WriterOptionsFrom(*config);
  if (!writer_options.ok()) return Fail(writer_options.status());

  const host::HostOptions host_options = host::HostOptionsFrom(*config, "greenchannel");
  auto auth = host::AuthenticatorFor(host_options);
  if (!auth.ok()) return Fail(auth.status());

  auto feeds = bus::FeedEndpointsFrom(*config, {"registry", "referral"});
  if (!feeds.ok()) return Fail(feeds.status());
  bus::GrpcEventSource feed_source(*feeds);

  greenchannel::StackOptions options{.data_dir = config->GetString("data.dir"),
                                     .rebuild = config->GetBool("rebuild"),
                                     .kafka = *kafka,
                                     .feed = &feed_source,
                                     .writer = *writer_options,
                                     .expiry_poll = config->GetDuration("expiry.poll"),
                                     .host = host_options,
                                     .auth = &*auth};
  auto stack = greenchannel::GreenChannelStack::Start(options);
  if (!stack.ok()) return Fail(stack.status());
  const std::string address = (*stack)->address();
  host::WriteAddressFile(config->GetString("address.file"), address);
  std::printf("listening=%s\n", address.c_str());
  std::fflush(stdout);

  host::WaitForShutdownSignal();
  common::Logger().info("greenchannel stopping");
  stack->reset();
  return 0;
}
