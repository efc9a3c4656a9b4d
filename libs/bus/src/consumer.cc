// The Kafka session of a BusConsumer: connect, take every partition, pause and resume,
// bootstrap refresh, close. What each message does to the store is the Applier's.
#include "yilian/bus/consumer.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "yilian/bus/applier.h"
#include "yilian/bus/embedded_broker.h"
#include "yilian/bus/wire.h"
#include "yilian/common/logging.h"
#include "yilian/common/worker_loop.h"

namespace yilian::bus {

class BusConsumer::Worker {
 public:
  Worker(eventstore::Store* store, ConsumerOptions options)
      : store_(store),
        options_(std::move(options)),
        applier_(store, {.group_id = options_.group_id,
                         .projector = options_.projector,
                         .feed = options_.feed,
                         .keys = &options_.kafka.keys,
                         .clock = options_.clock}) {
    for (const auto& s : options_.sources) topic_source_[TopicFor(s)] = s;
  }
  ~Worker() {
    if (rk_ != nullptr) rd_kafka_destroy(rk_);  // only when Start failed before the loop ran
  }
  absl::Status Connect();
  // Closes and drops the client (positions are durable already). `wait`: false
  // leaves the destruction of the client to a thread of its own: one whose brokers are gone
  // can take a minute to wind down, and a new client must not wait for it.
  void Close(bool wait);
  // One round: the bootstrap checked, a batch of messages polled and applied. Always true:
  // the poll itself waits.
  bool Pass();
  // On the loop's thread when it stops: the last status, and the client closed.
  void Finish();
  v1::GetConsumerStatusResponse status() const {
    std::lock_guard<std::mutex> lock(status_mu_);
    return status_;
  }

 private:
  struct Part {
    PartitionState state;
    bool paused = false;
    absl::Time resume_at;
  };
  // Takes every partition of every followed topic not yet taken, from its stored position.
  void AssignAll();
  void Process(std::vector<rd_kafka_message_t*>& batch);
  void Handle(const rd_kafka_message_t* m);
  void Pause(Part& part, const absl::Status& why);
  void ResumeDue();
  absl::Status Flush();
  int32_t PartitionCount(const std::string& topic, int timeout_ms = 5000);
  void PublishStatus(bool force);

  eventstore::Store* store_;
  ConsumerOptions options_;
  std::map<std::string, std::string> topic_source_;

  // Owned by the consumer thread.
  Applier applier_;
  rd_kafka_t* rk_ = nullptr;
  std::map<std::pair<std::string, int32_t>, Part> parts_;
  std::vector<rd_kafka_message_t*> batch_;
  std::string last_error_;
  absl::Time next_status_ = absl::InfinitePast();
  absl::Time next_bootstrap_check_ = absl::InfinitePast();
  absl::Time next_assign_check_ = absl::InfinitePast();

  mutable std::mutex status_mu_;
  v1::GetConsumerStatusResponse status_ ABSL_GUARDED_BY(status_mu_);
};

absl::Status BusConsumer::Worker::Connect() {
  KafkaSettings kafka = options_.kafka;
  // A fetch returns at once when data is there; when there is none, the broker holds it at
  // most this long. librdkafka's 500 ms default would be the bus's latency on a quiet topic
  // with brokers (like the embedded one) that do not answer a waiting fetch early.
  kafka.properties.emplace("fetch.wait.max.ms", "5");
  // The group id names the committed offsets (informational only, for lag tools: the store is
  // the truth). The consumer never joins the group: it assigns itself every partition.
  auto conf = NewKafkaConf(kafka, {{"group.id", options_.group_id},
                                   {"enable.auto.commit", "true"},
                                   {"enable.auto.offset.store", "false"},
                                   {"auto.offset.reset", "earliest"},
                                   {"enable.partition.eof", "false"}});
  if (!conf.ok()) return conf.status();
  char err[512];
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, *conf, err, sizeof err);
  if (rk_ == nullptr) {
    rd_kafka_conf_destroy(*conf);
    return absl::InvalidArgumentError(absl::StrCat("cannot create the Kafka consumer: ", err));
  }
  rd_kafka_poll_set_consumer(rk_);
  next_assign_check_ = absl::InfinitePast();
  AssignAll();
  return absl::OkStatus();
}

void BusConsumer::Worker::AssignAll() {
  // Every instance's projections need every event of its sources, so a service takes all
  // their partitions itself rather than sharing them in a consumer group: a restarted service
  // reads at once, with no group session to wait out. Checked again every 10 s (a topic that
  // grew), every second while a topic's metadata is missing (the broker not up yet).
  bool grew = false, missing = false;
  for (const auto& [topic, source] : topic_source_) {
    const int32_t count = PartitionCount(topic, 1000);
    missing = missing || count == 0;
    for (int32_t p = 0; p < count; ++p) {
      if (parts_.count({topic, p}) > 0) continue;
      Part part;
      part.state.topic = topic;
      part.state.partition = p;
      part.state.source = source;
      auto pos = applier_.StoredPosition(topic, p);
      if (pos.ok()) part.state.pos = *std::move(pos);
      if (!pos.ok()) common::Logger().error("consumer {}: {}", options_.group_id, pos.status().ToString());
      parts_[{topic, p}] = std::move(part);
      grew = true;
    }
  }
  next_assign_check_ = absl::Now() + (missing ? absl::Seconds(1) : absl::Seconds(10));
  if (!grew) return;
  // The whole assignment again, each partition from where it is (nothing is pending between
  // batches); a paused one stays paused.
  rd_kafka_topic_partition_list_t* all = rd_kafka_topic_partition_list_new(static_cast<int>(parts_.size()));
  rd_kafka_topic_partition_list_t* paused = rd_kafka_topic_partition_list_new(1);
  for (const auto& [key, part] : parts_) {
    const PartitionState& s = part.state;
    rd_kafka_topic_partition_list_add(all, s.topic.c_str(), s.partition)->offset =
        s.pos.next_offset() > 0 ? s.pos.next_offset() : RD_KAFKA_OFFSET_BEGINNING;
    if (part.paused) rd_kafka_topic_partition_list_add(paused, s.topic.c_str(), s.partition);
  }
  if (rd_kafka_resp_err_t e = rd_kafka_assign(rk_, all); e != RD_KAFKA_RESP_ERR_NO_ERROR)
    common::Logger().error("consumer {}: assign: {}", options_.group_id, rd_kafka_err2str(e));
  rd_kafka_resume_partitions(rk_, all);  // librdkafka keeps an application pause across reassignment
  if (paused->cnt > 0) rd_kafka_pause_partitions(rk_, paused);
  common::Logger().info("consumer {}: reading {} partitions", options_.group_id, all->cnt);
  rd_kafka_topic_partition_list_destroy(paused);
  rd_kafka_topic_partition_list_destroy(all);
}

int32_t BusConsumer::Worker::PartitionCount(const std::string& topic, int timeout_ms) {
  // Read afresh for every fill (fills are rare): a repartitioned topic must not be filtered
  // with the old count.
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  int32_t count = 0;
  if (rd_kafka_metadata(rk_, 0, rkt, &md, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 &&
      !md->topics[0].err)
    count = md->topics[0].partition_cnt;
  if (md) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
  return count;
}

void BusConsumer::Worker::Pause(Part& part, const absl::Status& why) {
  const PartitionState& p = part.state;
  common::Logger().warn("consumer {}: pausing {}[{}] at offset {}: {}", options_.group_id, p.topic, p.partition,
                        p.pos.next_offset(), why.ToString());
  part.paused = true;
  part.resume_at = absl::Now() + options_.retry_backoff;
  rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, p.topic.c_str(), p.partition);
  rd_kafka_pause_partitions(rk_, l);
  rd_kafka_topic_partition_list_destroy(l);
}

void BusConsumer::Worker::ResumeDue() {
  const absl::Time now = absl::Now();
  for (auto& [key, part] : parts_) {
    if (!part.paused || now < part.resume_at) continue;
    const PartitionState& p = part.state;
    rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, p.topic.c_str(), p.partition)->offset =
        p.pos.next_offset() > 0 ? p.pos.next_offset() : RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_error_t* e = rd_kafka_seek_partitions(rk_, l, 5000);
    const std::string failed = e ? rd_kafka_error_string(e) : l->elems[0].err ? rd_kafka_err2str(l->elems[0].err) : "";
    if (e) rd_kafka_error_destroy(e);
    if (!failed.empty()) {  // resuming now would skip what arrived while paused
      common::Logger().warn("consumer {}: seek {}[{}]: {}; retrying", options_.group_id, p.topic, p.partition, failed);
      part.resume_at = now + options_.retry_backoff;
      rd_kafka_topic_partition_list_destroy(l);
      continue;
    }
    rd_kafka_resume_partitions(rk_, l);
    rd_kafka_topic_partition_list_destroy(l);
    part.paused = false;
  }
}

void BusConsumer::Worker::Handle(const rd_kafka_message_t* m) {
  auto it = parts_.find({rd_kafka_topic_name(m->rkt), m->partition});
  if (it == parts_.end() || it->second.paused) return;  // revoked, or to be read again after a pause
  Part& part = it->second;
  const Delivery delivery{m->offset, std::string_view(static_cast<const char*>(m->payload), m->payload ? m->len : 0),
                          ReadHeaders(m)};
  auto s = applier_.Stage(part.state, delivery, [&] { return PartitionCount(part.state.topic); });
  if (!s.ok()) Pause(part, s);
}

absl::Status BusConsumer::Worker::Flush() {
  auto written = applier_.Flush();
  if (!written.ok()) {
    // What was applied in memory is gone: every partition went back to its stored position
    // and waits a little, so nothing is skipped.
    common::Logger().error("consumer {}: {}; re-reading from the stored positions", options_.group_id,
                           written.status().ToString());
    for (auto& [key, part] : parts_)
      if (!part.paused) Pause(part, written.status());
    return written.status();
  }
  rd_kafka_topic_partition_list_t* commit = rd_kafka_topic_partition_list_new(static_cast<int>(parts_.size()));
  for (auto& [key, part] : parts_)
    if (part.state.pos.next_offset() > 0)
      rd_kafka_topic_partition_list_add(commit, part.state.topic.c_str(), part.state.partition)->offset =
          part.state.pos.next_offset();
  if (commit->cnt > 0) rd_kafka_offsets_store(rk_, commit);
  rd_kafka_topic_partition_list_destroy(commit);
  if (options_.on_commit && *written) options_.on_commit();
  return absl::OkStatus();
}

void BusConsumer::Worker::Process(std::vector<rd_kafka_message_t*>& batch) {
  for (rd_kafka_message_t* m : batch) {
    if (m->err) {
      const std::string what = rd_kafka_message_errstr(m);
      if (what != last_error_) common::Logger().warn("consumer {}: Kafka: {}", options_.group_id, what);
      last_error_ = what;
    } else {
      Handle(m);
    }
    rd_kafka_message_destroy(m);
  }
  batch.clear();
  Flush().IgnoreError();  // a failure already put every partition back (see Flush)
}

void BusConsumer::Worker::PublishStatus(bool force) {
  const absl::Time now = absl::Now();
  if (!force && now < next_status_) return;
  next_status_ = now + absl::Milliseconds(100);
  v1::GetConsumerStatusResponse st;
  st.set_group_id(options_.group_id);
  for (const auto& [key, part] : parts_) {
    const PartitionState& s = part.state;
    auto* p = st.add_partitions();
    p->set_topic(s.topic);
    p->set_partition(s.partition);
    p->set_next_offset(s.pos.next_offset());
    p->set_watermark(s.pos.watermark());
    int64_t lo = -1, hi = -1;
    if (rk_ == nullptr || rd_kafka_get_watermark_offsets(rk_, s.topic.c_str(), s.partition, &lo, &hi) || hi < 0) {
      p->set_high_watermark(-1);
      p->set_lag(-1);
    } else {
      p->set_high_watermark(hi);
      p->set_lag(std::max<int64_t>(0, hi - std::max<int64_t>(s.pos.next_offset(), lo)));
    }
  }
  st.set_applied(applier_.applied());
  st.set_duplicates(applier_.duplicates());
  st.set_filled(applier_.filled());
  st.set_parked(applier_.parked());
  st.set_unverified(applier_.unverified());
  applier_.propagation().ToProto(st.mutable_propagation());
  std::lock_guard<std::mutex> lock(status_mu_);
  status_ = std::move(st);
}

bool BusConsumer::Worker::Pass() {
  if (const absl::Time now = absl::Now(); now >= next_bootstrap_check_) {
    next_bootstrap_check_ = now + absl::Seconds(1);
    if (RefreshBootstrap(options_.kafka)) {
      common::Logger().info("consumer {}: Kafka bootstrap servers are now {}: reconnecting", options_.group_id,
                            options_.kafka.bootstrap);
      Close(/*wait=*/false);
    }
    if (rk_ == nullptr) {
      if (auto s = Connect(); !s.ok()) {
        common::Logger().error("consumer {}: {}; retrying", options_.group_id, s.ToString());
        if (rk_ != nullptr) rd_kafka_destroy(rk_);
        rk_ = nullptr;
      }
    }
  }
  if (rk_ == nullptr) {
    absl::SleepFor(absl::Milliseconds(100));
    return true;
  }
  if (absl::Now() >= next_assign_check_) AssignAll();
  rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 100);
  while (m != nullptr) {
    batch_.push_back(m);
    if (static_cast<int>(batch_.size()) >= options_.max_batch) break;
    m = rd_kafka_consumer_poll(rk_, 0);
  }
  if (!batch_.empty()) Process(batch_);
  ResumeDue();
  PublishStatus(false);
  return true;
}

void BusConsumer::Worker::Finish() {
  PublishStatus(true);
  Close(/*wait=*/true);
}

void BusConsumer::Worker::Close(bool wait) {
  if (rk_ == nullptr) return;
  // Close, but never wait on an absent broker: positions are already durable in RocksDB, so a
  // close cut short loses nothing.
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk_);
  if (rd_kafka_error_t* e = rd_kafka_consumer_close_queue(rk_, q); e != nullptr) {
    rd_kafka_error_destroy(e);
  } else {
    const absl::Time deadline = absl::Now() + absl::Seconds(3);
    while (!rd_kafka_consumer_closed(rk_) && absl::Now() < deadline) {
      rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 100);
      if (ev == nullptr) continue;
      // The close waits for the application to give up its partitions.
      if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE) rd_kafka_assign(rk_, nullptr);
      rd_kafka_event_destroy(ev);
    }
  }
  rd_kafka_queue_destroy(q);
  // Without a consumer close the client calls back nothing of ours while it winds down.
  if (wait)
    rd_kafka_destroy_flags(rk_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  else
    std::thread([rk = rk_] { rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE); }).detach();
  rk_ = nullptr;
  parts_.clear();  // the next client is assigned afresh, from the stored positions
}

absl::StatusOr<std::unique_ptr<BusConsumer>> BusConsumer::Start(eventstore::Store* store, ConsumerOptions options) {
  if (options.projector == nullptr) return absl::InvalidArgumentError("a consumer needs a projector");
  if (options.group_id.empty()) return absl::InvalidArgumentError("a consumer needs a group id");
  if (options.sources.empty()) return absl::InvalidArgumentError("a consumer needs at least one source service");
  if (options.max_batch < 1) return absl::InvalidArgumentError("consumer max_batch must be at least 1");
  for (const auto& source : options.sources)
    if (!options.kafka.keys.HasKeyFor(source))
      return absl::FailedPreconditionError(
          absl::StrCat("no bus key for ", source, " in bus.keys_file: none of its messages would verify"));
  std::unique_ptr<BusConsumer> c(new BusConsumer());
  c->store_ = store;
  c->worker_ = std::make_unique<Worker>(store, std::move(options));
  auto s = c->worker_->Connect();
  if (!s.ok()) return s;
  Worker* w = c->worker_.get();
  c->loop_ = std::make_unique<common::WorkerLoop>(
      common::WorkerLoop::Options{.name = "yl-consumer", .period = {}}, [w] { return w->Pass(); },
      [w] { w->Finish(); });
  c->loop_->Start();
  return c;
}

BusConsumer::~BusConsumer() {
  if (!loop_ || loop_->Stop(absl::Seconds(6))) return;
  common::Logger().error("consumer: the Kafka client did not stop within 6 s (broker unreachable?); leaving it");
  (void)worker_.release();  // still used by the thread left running
}

v1::GetConsumerStatusResponse BusConsumer::status() const { return worker_->status(); }

absl::StatusOr<v1::ListParkedResponse> BusConsumer::ListParked(int page_size, const std::string& page_token) const {
  return Applier::ListParked(*store_, page_size, page_token);
}

}  // namespace yilian::bus
