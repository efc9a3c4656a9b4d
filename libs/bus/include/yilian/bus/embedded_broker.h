#pragma once
// The embedded Kafka-protocol broker: librdkafka's mock cluster (memory only, a bounded
// log per partition), used by the one-command local platform and by tests. Its ports are
// random; pass bootstrap() on to clients.
//
// Correctness never rests on it keeping anything: it forgets everything when it stops and
// evicts old messages. Journals and the catch-up feed are the record.
//
// Thread-safe for the fault-injection calls; owns the mock cluster and its handle.

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace yilian::bus {

// The topics of the four owning services: yilian.<service>.events.
std::vector<std::string> YilianTopics();
std::string TopicFor(const std::string& service);
// A topic no service reads, for checking a running broker without putting foreign messages
// into the services' topics (their consumers would park them).
inline constexpr char kCheckTopic[] = "yilian.check";
inline std::vector<std::string> WithCheckTopic(std::vector<std::string> topics) {
  topics.push_back(kCheckTopic);
  return topics;
}

struct EmbeddedBrokerOptions {
  int brokers = 3;
  int partitions = 4;
  int replication = 3;
  std::vector<std::string> topics = WithCheckTopic(YilianTopics());
};

class EmbeddedBroker {
 public:
  static absl::StatusOr<std::unique_ptr<EmbeddedBroker>> Start(const EmbeddedBrokerOptions& options);
  ~EmbeddedBroker();

  // "127.0.0.1:port,127.0.0.1:port,..."
  const std::string& bootstrap() const { return bootstrap_; }
  // Fault injection for tests: take a broker (1..brokers) down or up again. Like a real
  // cluster's leader election, taking one down moves its partitions' leadership to the
  // brokers still up (the mock cluster does not fail over by itself).
  absl::Status SetBrokerDown(int broker_id);
  absl::Status SetBrokerUp(int broker_id);
  absl::Status CreateTopic(const std::string& topic, int partitions, int replication);

 private:
  EmbeddedBroker() = default;
  // Spreads the leaders of every topic (or of `only`) over the brokers up. Requires mu_.
  absl::Status ElectLeaders(const std::string* only = nullptr);
  absl::Status CheckBrokerId(int broker_id) const;
  std::mutex mu_;
  int brokers_ = 0;
  std::map<std::string, int> partitions_ ABSL_GUARDED_BY(mu_);
  std::set<int> down_ ABSL_GUARDED_BY(mu_);
  rd_kafka_s* handle_ = nullptr;
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  std::string bootstrap_;
  std::vector<int> ports_;                       // broker i's port at [i - 1]
  size_t next_leader_ ABSL_GUARDED_BY(mu_) = 0;  // where the next new topic's leaders start
};

}  // namespace yilian::bus
