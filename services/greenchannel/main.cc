// yilian-greenchannel: wiring only. Config -> store -> journal (+ projection) -> relay ->
// bus consumer (registry mirror + intake) -> expiry timer -> gRPC (API, feed, bus admin).
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "config.h"
#include "expiry.h"
#include "greenchannel_service.h"
#include "intake.h"
#include "yilian/bus/admin_service.h"
#include "yilian/bus/consumer.h"
#include "yilian/bus/event_source.h"
#include "yilian/bus/relay.h"
#include "yilian/common/logging.h"
#include "yilian/eventstore/feed_service.h"
#include "yilian/host/service_host.h"

using namespace yilian;

namespace {

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "yilian-greenchannel: %s\n", s.ToString().c_str());
  return 1;
}

// "host:port", or "@file" holding it ("" when the file is not there yet).
std::string Resolve(const std::string& value) {
  if (value.empty() || value[0] != '@') return value;
  std::ifstream in(value.substr(1));
  std::stringstream text;
  text << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(text.str()));
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

  auto store = eventstore::Store::Open({.path = config->GetString("data.dir")});
  if (!store.ok()) return Fail(store.status());
  greenchannel::BoardProjector projector;
  auto journal = eventstore::Journal::Open(store->get(), {.source_service = "greenchannel", .projector = &projector});
  if (!journal.ok()) return Fail(journal.status());
  if (config->GetBool("rebuild")) {
    if (auto s = (*journal)->RebuildProjections(); !s.ok()) return Fail(s);
    common::Logger().info("greenchannel: projections rebuilt from {} events", (*journal)->head().sequence);
  }
  auto relay = bus::OutboxRelay::Start(store->get(), journal->get(), {.kafka = *kafka});
  if (!relay.ok()) return Fail(relay.status());

  registry_model::RegistryView registry(store->get(), eventstore::Family::kConsumed, "registry/");
  greenchannel::BoardView view(store->get());
  greenchannel::SiteDirectory sites(&registry, &view);
  greenchannel::BoardWriter writer(journal->get(), &view, &sites, &common::Clock::Real(), *writer_options);
  greenchannel::Intake intake(store->get(), journal->get(), &writer, &registry, &sites);

  std::string feed_token;
  if (const std::string f = config->GetString("feed.token.file"); !f.empty()) {
    std::ifstream in(f);
    std::getline(in, feed_token);
    if (!in) return Fail(absl::InvalidArgumentError("feed.token.file: cannot read " + f));
  }
  std::map<std::string, bus::FeedEndpoint> feeds;
  for (const char* source : {"registry", "referral"}) {
    const std::string address = Resolve(config->GetString(std::string("feed.") + source));
    if (!address.empty()) feeds[source] = {address, feed_token, ""};
    else common::Logger().warn("greenchannel: no catch-up feed for {}; a gap in its events waits for Kafka", source);
  }
  bus::GrpcEventSource feed_source(feeds);
  greenchannel::IntakeProjector intake_projector;
  bus::ConsumerOptions consumer_options;
  consumer_options.kafka = *kafka;
  consumer_options.group_id = "greenchannel";
  consumer_options.sources = {"registry", "referral"};
  consumer_options.projector = &intake_projector;
  consumer_options.feed = &feed_source;
  consumer_options.on_commit = [&intake] { intake.Notify(); };
  auto consumer = bus::BusConsumer::Start(store->get(), consumer_options);
  if (!consumer.ok()) return Fail(consumer.status());
  greenchannel::ExpiryTimer expiry(&view, &writer, config->GetDuration("expiry.poll"));

  host::HostOptions options{.service_name = "greenchannel",
                            .listen_address = config->GetString("listen"),
                            .tokens_file = config->GetString("tokens.file"),
                            .tls = {config->GetString("tls.cert"), config->GetString("tls.key"),
                                    config->GetString("tls.client_ca")}};
  auto auth = options.tls.enabled() ? host::Authenticator::FromClientCertificates()
                                    : host::Authenticator::FromTokensFile(options.tokens_file);
  if (!auth.ok()) return Fail(auth.status());
  greenchannel::GreenChannelService api(journal->get(), &view, &writer, &registry, &*auth);
  eventstore::FeedService feed(journal->get(), auth->RequireRoles({common::Role::ROLE_SERVICE, common::Role::ROLE_AUDITOR}));
  bus::BusAdminService admin(consumer->get(), auth->RequireRoles({common::Role::ROLE_CONSORTIUM_ADMIN,
                                                                   common::Role::ROLE_SERVICE, common::Role::ROLE_AUDITOR}));
  auto server = host::ServiceHost::Start(options, *auth, {&api, &feed, &admin});
  if (!server.ok()) return Fail(server.status());
  if (const std::string file = config->GetString("address.file"); !file.empty()) {
    std::ofstream(file + ".tmp") << (*server)->address() << "\n";
    std::rename((file + ".tmp").c_str(), file.c_str());
  }
  std::printf("listening=%s\n", (*server)->address().c_str());
  std::fflush(stdout);

  host::WaitForShutdownSignal();
  common::Logger().info("greenchannel stopping");
  api.Stop();
  (*server)->Shutdown(absl::Seconds(10));
  consumer->reset();
  relay->reset();
  return 0;
}
