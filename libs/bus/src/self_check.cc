#include "yilian/bus/self_check.h"

#include <librdkafka/rdkafka.h>

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "yilian/common/uuid.h"

namespace yilian::bus {
namespace {

struct Delivery {
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__IN_PROGRESS;
  int32_t partition = -1;
  int64_t offset = -1;
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* d = static_cast<Delivery*>(m->_private);
  d->err = m->err;
  d->partition = m->partition;
  d->offset = m->offset;
}

using Handle = std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)>;

absl::StatusOr<Handle> NewClient(rd_kafka_type_t type, const std::string& bootstrap) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const char* k, const char* v) {
    return rd_kafka_conf_set(conf, k, v, err, sizeof err) == RD_KAFKA_CONF_OK;
  };
  bool ok = set("bootstrap.servers", bootstrap.c_str()) && set("log_level", "3");
  if (type == RD_KAFKA_PRODUCER) {
    ok = ok && set("enable.idempotence", "true") && set("acks", "all");
    rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
  } else {
    ok = ok && set("group.id", "yilian-self-check") && set("enable.auto.commit", "false");
  }
  if (!ok) {
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(err);
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) return absl::InternalError(err);
  return Handle(rk, &rd_kafka_destroy);
}

}  // namespace

absl::Status RoundTrip(const std::string& bootstrap, const std::vector<std::string>& topics, absl::Duration deadline) {
  auto producer = NewClient(RD_KAFKA_PRODUCER, bootstrap);
  if (!producer.ok()) return producer.status();
  auto consumer = NewClient(RD_KAFKA_CONSUMER, bootstrap);
  if (!consumer.ok()) return consumer.status();
  const absl::Time until = absl::Now() + deadline;
  for (const auto& topic : topics) {
    const std::string token = common::NewUuid();
    Delivery d;
    auto e = rd_kafka_producev(producer->get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY("self-check", 10),
                               RD_KAFKA_V_VALUE(const_cast<char*>(token.data()), token.size()),
                               RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&d), RD_KAFKA_V_END);
    if (e) return absl::UnavailableError(absl::StrCat("producing to ", topic, ": ", rd_kafka_err2str(e)));
    while (d.err == RD_KAFKA_RESP_ERR__IN_PROGRESS && absl::Now() < until) rd_kafka_poll(producer->get(), 100);
    if (d.err != RD_KAFKA_RESP_ERR_NO_ERROR)
      return absl::UnavailableError(absl::StrCat("delivery to ", topic, " failed: ", rd_kafka_err2str(d.err)));

    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic.c_str(), d.partition)->offset = d.offset;
    rd_kafka_assign(consumer->get(), parts);
    rd_kafka_topic_partition_list_destroy(parts);
    bool found = false;
    while (!found && absl::Now() < until) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer->get(), 200);
      if (!m) continue;
      found = !m->err && std::string(static_cast<char*>(m->payload), m->len) == token;
      rd_kafka_message_destroy(m);
    }
    if (!found) return absl::DeadlineExceededError(absl::StrCat("message produced to ", topic, " was not read back"));
  }
  rd_kafka_consumer_close(consumer->get());
  return absl::OkStatus();
}

}  // namespace yilian::bus
