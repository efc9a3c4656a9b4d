#include "yilian/bus/topic_limit.h"

#include <librdkafka/rdkafka.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace yilian::bus {

namespace {

absl::Status StatusOf(rd_kafka_resp_err_t err, const std::string& what) {
  const std::string message = absl::StrCat(what, ": ", rd_kafka_err2str(err));
  switch (err) {
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
    case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
      return absl::UnimplementedError(message);
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
      return absl::PermissionDeniedError(message);
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      return absl::NotFoundError(message);
    default:
      return absl::UnavailableError(message);
  }
}

}  // namespace

absl::StatusOr<int64_t> TopicMaxMessageBytes(const KafkaSettings& kafka, const std::string& topic,
                                             absl::Duration timeout) {
  auto conf = NewKafkaConf(kafka, {{"log_level", "0"}});
  if (!conf.ok()) return conf.status();
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, *conf, err, sizeof err);
  if (rk == nullptr) return absl::InvalidArgumentError(absl::StrCat("Kafka client: ", err));
  const int ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
  // librdkafka's mock cluster (the embedded broker) names itself so; it leaves DescribeConfigs
  // unanswered, and a service would wait out the timeout at every start.
  if (char* id = rd_kafka_clusterid(rk, ms); id != nullptr) {
    const bool mock = std::strncmp(id, "mockCluster", 11) == 0;
    rd_kafka_mem_free(rk, id);
    if (mock) {
      rd_kafka_destroy(rk);
      return absl::UnimplementedError("the embedded broker (librdkafka's mock cluster) does not describe topics");
    }
  }
  rd_kafka_ConfigResource_t* resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
  rd_kafka_AdminOptions_set_request_timeout(options, ms, err, sizeof err);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_DescribeConfigs(rk, &resource, 1, options, queue);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, ms + 1000);
  absl::StatusOr<int64_t> out = absl::UnavailableError(absl::StrCat("no answer about ", topic, " within ", ms, " ms"));
  if (ev != nullptr) {
    const std::string what = absl::StrCat("describing ", topic);
    if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      out = StatusOf(rd_kafka_event_error(ev), what);
    } else {
      size_t n = 0;
      const rd_kafka_ConfigResource_t** rs =
          rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &n);
      if (n == 1 && rd_kafka_ConfigResource_error(rs[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        out = StatusOf(rd_kafka_ConfigResource_error(rs[0]), what);
      } else if (n == 1) {
        size_t count = 0;
        const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(rs[0], &count);
        out = absl::UnimplementedError(absl::StrCat(what, ": no max.message.bytes in its configuration"));
        for (size_t i = 0; i < count; ++i)
          if (std::strcmp(rd_kafka_ConfigEntry_name(entries[i]), "max.message.bytes") == 0 &&
              rd_kafka_ConfigEntry_value(entries[i]) != nullptr)
            out = std::atoll(rd_kafka_ConfigEntry_value(entries[i]));
      }
    }
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_ConfigResource_destroy(resource);
  rd_kafka_destroy(rk);
  return out;
}

absl::Status CheckTopicTakes(const std::string& topic, int64_t topic_max, int64_t max_event, int64_t framing) {
  if (max_event > 0 && max_event + framing <= topic_max) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("the journal takes events of up to ", max_event, " bytes (0: any size), but topic ", topic,
                   " takes messages of up to ", topic_max, " bytes (max.message.bytes): raise it to at least ",
                   max_event + framing, " (kafka-configs --alter --entity-type topics --entity-name ", topic,
                   " --add-config max.message.bytes=...), or lower the journal's limit"));
}

}  // namespace yilian::bus
