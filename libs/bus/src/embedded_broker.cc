#include "yilian/bus/embedded_broker.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "absl/strings/str_cat.h"

namespace yilian::bus {

std::vector<std::string> YilianTopics() {
  return {TopicFor("registry"), TopicFor("referral"), TopicFor("greenchannel"), TopicFor("audit")};
}

std::string TopicFor(const std::string& service) { return absl::StrCat("yilian.", service, ".events"); }

absl::StatusOr<std::unique_ptr<EmbeddedBroker>> EmbeddedBroker::Start(const EmbeddedBrokerOptions& options) {
  if (options.brokers < 1) return absl::InvalidArgumentError("the embedded broker needs at least one broker");
  std::unique_ptr<EmbeddedBroker> b(new EmbeddedBroker());
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // A throwaway producer handle hosts the mock cluster; it never produces.
  if (rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(err);
  }
  b->handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (b->handle_ == nullptr) return absl::InternalError(absl::StrCat("cannot create the broker host handle: ", err));
  b->cluster_ = rd_kafka_mock_cluster_new(b->handle_, options.brokers);
  if (b->cluster_ == nullptr) return absl::UnavailableError("cannot start librdkafka's mock cluster");
  b->bootstrap_ = rd_kafka_mock_cluster_bootstraps(b->cluster_);
  b->brokers_ = options.brokers;
  for (const auto& topic : options.topics) {
    auto s = b->CreateTopic(topic, options.partitions, std::min(options.replication, options.brokers));
    if (!s.ok()) return s;
  }
  return b;
}

EmbeddedBroker::~EmbeddedBroker() {
  if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
  if (handle_) rd_kafka_destroy(handle_);
}

absl::Status EmbeddedBroker::CreateTopic(const std::string& topic, int partitions, int replication) {
  auto e = rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, replication);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return absl::InternalError(absl::StrCat("creating topic ", topic, ": ", rd_kafka_err2str(e)));
  std::lock_guard<std::mutex> lock(mu_);
  partitions_[topic] = partitions;
  return ElectLeaders();
}

absl::Status EmbeddedBroker::ElectLeaders() {
  std::vector<int> up;
  for (int id = 1; id <= brokers_; ++id)
    if (!down_.count(id)) up.push_back(id);
  if (up.empty()) return absl::OkStatus();  // nothing to elect: every broker is down
  size_t next = 0;
  for (const auto& [topic, n] : partitions_) {
    for (int p = 0; p < n; ++p) {
      auto e = rd_kafka_mock_partition_set_leader(cluster_, topic.c_str(), p, up[next++ % up.size()]);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return absl::InternalError(absl::StrCat("electing a leader for ", topic, "/", p, ": ", rd_kafka_err2str(e)));
    }
  }
  return absl::OkStatus();
}

absl::Status EmbeddedBroker::CheckBrokerId(int broker_id) const {
  if (broker_id < 1 || broker_id > brokers_)
    return absl::InvalidArgumentError(absl::StrCat("broker ", broker_id, " does not exist (1..", brokers_, ")"));
  return absl::OkStatus();
}

absl::Status EmbeddedBroker::SetBrokerDown(int broker_id) {
  if (auto s = CheckBrokerId(broker_id); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  down_.insert(broker_id);
  if (auto s = ElectLeaders(); !s.ok()) return s;
  auto e = rd_kafka_mock_broker_set_down(cluster_, broker_id);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return absl::InvalidArgumentError(rd_kafka_err2str(e));
  return absl::OkStatus();
}

absl::Status EmbeddedBroker::SetBrokerUp(int broker_id) {
  if (auto s = CheckBrokerId(broker_id); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  down_.erase(broker_id);
  auto e = rd_kafka_mock_broker_set_up(cluster_, broker_id);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return absl::InvalidArgumentError(rd_kafka_err2str(e));
  return absl::OkStatus();
}

}  // namespace yilian::bus
