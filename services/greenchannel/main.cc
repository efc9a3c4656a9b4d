// yilian-greenchannel: wiring only. Config -> catch-up feeds -> the stack (stack.h), served by
// host::ServiceMain until SIGTERM/SIGINT.
#include "config.h"
#include "stack.h"
#include "yilian/common/status_macros.h"
#include "yilian/host/service_main.h"
#include "yilian/privacy/config.h"

using namespace yilian;

namespace {

struct Running {
  std::unique_ptr<bus::GrpcEventSource> feeds;
  std::unique_ptr<greenchannel::GreenChannelStack> stack;  // stops first
};

absl::StatusOr<host::Started> Start(const common::Config& config, const host::HostOptions& host_options,
                                    const host::Authenticator& auth) {
  ASSIGN_OR_RETURN(auto kafka, bus::KafkaSettingsFrom(config));
  ASSIGN_OR_RETURN(auto vault, privacy::VaultSettingsFrom(config));
  ASSIGN_OR_RETURN(auto board, greenchannel::BoardOptionsFrom(config));
  ASSIGN_OR_RETURN(auto endpoints, bus::FeedEndpointsFrom(config, {"registry", "referral"}));
  auto r = std::make_shared<Running>();
  r->feeds = std::make_unique<bus::GrpcEventSource>(endpoints);
  ASSIGN_OR_RETURN(r->stack, greenchannel::GreenChannelStack::Start({.data_dir = config.GetString("data.dir"),
                                                                     .store_budget = bus::StoreBudgetFrom(config),
                                                                     .rebuild = config.GetBool("rebuild"),
                                                                     .kafka = kafka,
                                                                     .feed = r->feeds.get(),
                                                                     .board = board,
                                                                     .expiry_poll = config.GetDuration("expiry.poll"),
                                                                     .host = host_options,
                                                                     .auth = &auth,
                                                                     .keys_dir = vault.keys_dir,
                                                                     .master_key = vault.master_key}));
  return host::Started{r->stack->address(), r};
}

}  // namespace

int main(int argc, char** argv) {
  return host::ServiceMain(argc, argv, "greenchannel", greenchannel::ConfigSchema(), Start);
}
