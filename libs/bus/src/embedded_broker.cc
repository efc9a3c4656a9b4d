#include "yilian/bus/embedded_broker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace yilian::bus {
namespace {

// librdkafka 2.0's mock cluster thread can miss the wake-up for a control op queued while it
// sits idle in poll(): it then serves each op only at its 1 s timer tick. The broker then took
// 5-28 s to start (one op per topic and per partition leader) in about one start in six, and
// almost always when the thread had been idle 100 ms before the first op. Any accepted
// connection wakes that poll() too, and the thread serves its op queue on every wake. So while
// control ops run, an OpWaker connects to the brokers' ports every 2 ms (non-blocking, closed
// at once; the mock cluster reads the EOF and drops the connection). It pokes every broker: a
// broker that is down may not be listening, which costs nothing.
class OpWaker {
 public:
  explicit OpWaker(std::vector<int> ports) : ports_(std::move(ports)), thread_([this] { Run(); }) {}
  ~OpWaker() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  OpWaker(const OpWaker&) = delete;
  OpWaker& operator=(const OpWaker&) = delete;

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(2), [this] { return stop_; }))
      for (int port : ports_) Poke(port);
  }
  static void Poke(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    (void)connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    close(fd);
  }

  const std::vector<int> ports_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace

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
  for (absl::string_view server : absl::StrSplit(b->bootstrap_, ',')) {  // broker 1, 2, ... in order
    int port = 0;
    if (!absl::SimpleAtoi(server.substr(server.rfind(':') + 1), &port))
      return absl::InternalError(absl::StrCat("the mock cluster's bootstrap \"", b->bootstrap_, "\" does not parse"));
    b->ports_.push_back(port);
  }
  for (const auto& topic : options.topics) {
    auto s = b->CreateTopic(topic, options.partitions, std::min(options.replication, options.brokers));
    if (!s.ok()) return s;
  }
  return b;
}

EmbeddedBroker::~EmbeddedBroker() {
  if (cluster_) {
    OpWaker waker(ports_);  // destroying is an op too
    rd_kafka_mock_cluster_destroy(cluster_);
  }
  if (handle_) rd_kafka_destroy(handle_);
}

absl::Status EmbeddedBroker::CreateTopic(const std::string& topic, int partitions, int replication) {
  std::lock_guard<std::mutex> lock(mu_);
  OpWaker waker(ports_);
  auto e = rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, replication);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return absl::InternalError(absl::StrCat("creating topic ", topic, ": ", rd_kafka_err2str(e)));
  partitions_[topic] = partitions;
  return ElectLeaders(&topic);
}

absl::Status EmbeddedBroker::ElectLeaders(const std::string* only) {
  std::vector<int> up;
  for (int id = 1; id <= brokers_; ++id)
    if (!down_.count(id)) up.push_back(id);
  if (up.empty()) return absl::OkStatus();           // nothing to elect: every broker is down
  size_t next = only != nullptr ? next_leader_ : 0;  // a new topic goes on where the last ended
  for (const auto& [topic, n] : partitions_) {
    if (only != nullptr && topic != *only) continue;
    for (int p = 0; p < n; ++p) {
      auto e = rd_kafka_mock_partition_set_leader(cluster_, topic.c_str(), p, up[next++ % up.size()]);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return absl::InternalError(absl::StrCat("electing a leader for ", topic, "/", p, ": ", rd_kafka_err2str(e)));
    }
  }
  if (only != nullptr) next_leader_ = next;
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
  OpWaker waker(ports_);
  if (auto s = ElectLeaders(); !s.ok()) return s;
  auto e = rd_kafka_mock_broker_set_down(cluster_, broker_id);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return absl::InvalidArgumentError(rd_kafka_err2str(e));
  return absl::OkStatus();
}

absl::Status EmbeddedBroker::SetBrokerUp(int broker_id) {
  if (auto s = CheckBrokerId(broker_id); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  OpWaker waker(ports_);
  down_.erase(broker_id);
  auto e = rd_kafka_mock_broker_set_up(cluster_, broker_id);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return absl::InvalidArgumentError(rd_kafka_err2str(e));
  return absl::OkStatus();
}

}  // namespace yilian::bus
