#include "yilian/bus/service_core.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "yilian/bus/embedded_broker.h"
#include "yilian/bus/metrics.h"
#include "yilian/bus/topic_limit.h"
#include "yilian/common/logging.h"
#include "yilian/common/status_macros.h"

namespace yilian::bus {

using common::Role;

eventstore::StoreBudget StoreBudgetFrom(const common::Config& config) {
  constexpr size_t kMiB = 1 << 20;
  return {.block_cache_bytes = static_cast<size_t>(config.GetInt("store.cache_mb")) * kMiB,
          .memtable_bytes = static_cast<size_t>(config.GetInt("store.memtable_mb")) * kMiB};
}

absl::StatusOr<std::unique_ptr<ServiceCore>> ServiceCore::Open(const CoreOptions& o) {
  std::unique_ptr<ServiceCore> c(new ServiceCore());
  ASSIGN_OR_RETURN(c->store_, eventstore::Store::Open({.path = o.data_dir, .budget = o.store_budget}));
  ASSIGN_OR_RETURN(c->journal_, eventstore::Journal::Open(c->store_.get(), {.source_service = o.source_service,
                                                                            .projector = o.projector,
                                                                            .clock = o.clock,
                                                                            .max_event_bytes = o.max_event_bytes}));
  c->max_event_bytes_ = o.max_event_bytes;
  if (o.rebuild) {
    RETURN_IF_ERROR(c->journal_->RebuildProjections());
    common::Logger().info("{}: projections rebuilt from {} events", o.source_service, c->journal_->head().sequence);
  }
  return c;
}

ServiceCore::~ServiceCore() {
  StopServing();
  StopConsumer();
  relay_.reset();
  journal_.reset();
}

absl::Status ServiceCore::StartRelay(const KafkaSettings& kafka) {
  // An event must fit a message with its headers and the batch's framing, far from the limit.
  constexpr int64_t kFraming = 16 << 10;
  int64_t max_message = 1'000'000;  // librdkafka's default
  if (auto it = kafka.properties.find("message.max.bytes"); it != kafka.properties.end())
    max_message = std::atoll(it->second.c_str());
  if (max_event_bytes_ == 0 || static_cast<int64_t>(max_event_bytes_) + kFraming > max_message)
    return absl::FailedPreconditionError(absl::StrCat("the journal takes events of up to ", max_event_bytes_,
                                                      " bytes (0: any size), but Kafka's ", "message.max.bytes is ",
                                                      max_message, ": lower the one or raise the other"));
  // And the topic's own limit, when the cluster says it (a real one does, given the
  // DescribeConfigs ACL; the embedded broker cannot, and then the relay's stand-ins cover a
  // refusal).
  const std::string topic = TopicFor(journal_->source_service());
  auto topic_max = TopicMaxMessageBytes(kafka, topic, absl::Seconds(5));
  if (topic_max.ok())
    RETURN_IF_ERROR(CheckTopicTakes(topic, *topic_max, static_cast<int64_t>(max_event_bytes_), kFraming));
  else
    common::Logger().warn("{}: cannot read max.message.bytes of {} ({}): an event it refuses goes by the feed",
                          journal_->source_service(), topic, topic_max.status().ToString());
  ASSIGN_OR_RETURN(relay_, OutboxRelay::Start(store_.get(), journal_.get(), {.kafka = kafka}));
  return absl::OkStatus();
}

absl::Status ServiceCore::StartConsumer(ConsumerOptions options) {
  ASSIGN_OR_RETURN(consumer_, BusConsumer::Start(store_.get(), std::move(options)));
  return absl::OkStatus();
}

absl::Status ServiceCore::Serve(const host::HostOptions& host, const host::Authenticator& auth,
                                std::vector<grpc::Service*> api, FeedAuthorizer feed_readers) {
  if (!feed_readers) feed_readers = ReadersOf(auth.RequireRoles({Role::ROLE_SERVICE, Role::ROLE_AUDITOR}));
  feed_ = std::make_unique<bus::FeedService>(journal_.get(), std::move(feed_readers));
  api.push_back(feed_.get());
  if (consumer_) {
    admin_ = std::make_unique<BusAdminService>(
        consumer_.get(), auth.RequireRoles({Role::ROLE_CONSORTIUM_ADMIN, Role::ROLE_SERVICE, Role::ROLE_AUDITOR}));
    api.push_back(admin_.get());
  }
  host::HostOptions options = host;
  options.health_names.push_back(feed::v1::EventFeed::service_full_name());
  if (admin_) options.health_names.push_back(bus::v1::BusAdmin::service_full_name());
  ASSIGN_OR_RETURN(server_, host::ServiceHost::Start(options, auth, api));
  RegisterBusMetrics(host.metrics, journal_.get(), relay_.get(), consumer_.get());
  return absl::OkStatus();
}

void ServiceCore::StopServing() {
  if (server_) server_->Shutdown(absl::Seconds(10));
  server_.reset();
}

void ServiceCore::StopConsumer() { consumer_.reset(); }

}  // namespace yilian::bus
