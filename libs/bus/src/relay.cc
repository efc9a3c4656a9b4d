#include "yilian/bus/relay.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>

#include <algorithm>
#include <deque>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "yilian/bus/embedded_broker.h"
#include "yilian/bus/v1/bus.pb.h"
#include "yilian/bus/wire.h"
#include "yilian/common/logging.h"

namespace yilian::bus {

using eventstore::Family;

namespace {

// Errors that refuse one message for good: retrying it can never succeed.
bool RefusedForGood(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
      return true;
    default:
      return false;
  }
}

}  // namespace

class OutboxRelay::Worker {
 public:
  Worker(eventstore::Store* store, const eventstore::Journal* journal, RelayOptions options)
      : store_(store),
        journal_(journal),
        options_(std::move(options)),
        checkpoint_key_(absl::StrCat("bus/relay/", options_.topic)) {}

  absl::Status LoadCheckpoint();
  // One round: connect if need be, produce what the journal has, poll for acknowledgements,
  // checkpoint. Always true: it waits by itself (on the journal head, on Kafka).
  bool Pass();
  // On the loop's thread when it stops: what is in flight flushed (2 s at most), checkpointed.
  void Finish();
  // The loop it runs on (for stop-aware back-offs).
  void RunsOn(common::WorkerLoop* loop) { loop_ = loop; }
  RelayStatus status() const {
    std::lock_guard<std::mutex> lock(status_mu_);
    return status_;
  }

 private:
  struct Flight {
    int64_t sequence;
    int32_t partition;
    bool acked;
  };
  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    static_cast<Worker*>(opaque)->Delivered(m);
  }
  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    static_cast<Worker*>(opaque)->Trouble(rd_kafka_fatal_error(rk, nullptr, 0) != RD_KAFKA_RESP_ERR_NO_ERROR, reason);
  }
  bool Connect();
  void Disconnect();
  bool ProduceSome();
  void Delivered(const rd_kafka_message_t* m);
  void Trouble(bool fatal, const std::string& what);
  // An entry refused for good: said so (log, counter); a stand-in goes in its place.
  void Refused(int64_t sequence, rd_kafka_resp_err_t err);
  // Produces a message of `part`; `opaque` comes back with its delivery (a negative one: an
  // untracked stand-in).
  rd_kafka_resp_err_t Produce(int32_t part, std::string_view key, WireHeaders h, std::string_view value,
                              int64_t opaque);
  // Stand-ins for entries the broker refused after they were sent (untracked, best effort: the
  // next message of the partition names the entry too).
  void ProduceStandIns();
  void AdvanceAcked();
  void Checkpoint(bool force);
  void CheckLoss();
  void PublishStatus();

  eventstore::Store* store_;
  const eventstore::Journal* journal_;
  RelayOptions options_;
  const std::string checkpoint_key_;
  common::WorkerLoop* loop_ = nullptr;

  // Owned by the relay thread.
  rd_kafka_t* rk_ = nullptr;
  int32_t partitions_ = 0;
  v1::RelayCheckpoint checkpoint_;    // as last written
  int64_t acked_ = 0;                 // contiguous acknowledged prefix
  std::vector<int64_t> acked_tails_;  // per partition, at acked_
  std::vector<int64_t> acked_end_;    // per partition, one past the highest acknowledged offset
  int64_t produced_ = 0;
  int64_t refused_ = 0;
  std::vector<int64_t> stand_ins_;  // sequences refused by the broker, their stand-ins still to send
  std::vector<int64_t> produced_tails_;
  std::deque<Flight> in_flight_;
  bool restart_ = false;
  bool loss_suspected_ = false;  // a delivery came back at an offset below one acknowledged
  bool backoff_ = false;         // the journal or the broker refused us: wait a second before retrying
  bool discarding_ = false;
  absl::Time next_checkpoint_ = absl::InfinitePast();
  absl::Time next_loss_check_ = absl::InfinitePast();
  absl::Time next_bootstrap_check_ = absl::InfinitePast();
  std::string last_error_;

  mutable std::mutex status_mu_;
  RelayStatus status_ ABSL_GUARDED_BY(status_mu_);
};

absl::Status OutboxRelay::Worker::LoadCheckpoint() {
  auto row = store_->Get(Family::kMeta, checkpoint_key_);
  if (!row.ok()) return row.status();
  if (*row && !checkpoint_.ParseFromString(**row))
    return absl::DataLossError(absl::StrCat("relay checkpoint ", checkpoint_key_, " does not parse"));
  acked_ = produced_ = checkpoint_.published();
  return absl::OkStatus();
}

void OutboxRelay::Worker::Trouble(bool fatal, const std::string& what) {
  if (what != last_error_)
    common::Logger().warn("relay {}: Kafka: {}{}", options_.topic, what, fatal ? " (fatal)" : "");
  last_error_ = what;
  if (fatal) {
    restart_ = true;
    backoff_ = true;  // a message the broker keeps refusing must not spin the relay
  }
}

bool OutboxRelay::Worker::Connect() {
  auto conf =
      NewKafkaConf(options_.kafka, {{"enable.idempotence", "true"},
                                    {"acks", "all"},
                                    {"message.timeout.ms", "0"},
                                    {"linger.ms", absl::StrCat(absl::ToInt64Milliseconds(options_.linger))},
                                    {"queue.buffering.max.messages", absl::StrCat(options_.max_in_flight + 1000)}});
  if (!conf.ok()) {
    Trouble(false, std::string(conf.status().message()));
    return false;
  }
  rd_kafka_conf_set_dr_msg_cb(*conf, &Worker::OnDelivery);
  rd_kafka_conf_set_error_cb(*conf, &Worker::OnError);
  rd_kafka_conf_set_opaque(*conf, this);
  char err[512];
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, *conf, err, sizeof err);
  if (rk_ == nullptr) {
    rd_kafka_conf_destroy(*conf);
    Trouble(false, err);
    return false;
  }
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_, options_.topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk_, 0, rkt, &md, 2000);
  int32_t count = 0;
  if (!e && md->topic_cnt == 1) {
    e = md->topics[0].err;
    count = md->topics[0].partition_cnt;
  }
  if (md) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
  if (e || count <= 0) {
    Trouble(false, absl::StrCat("no metadata for topic ", options_.topic, ": ", rd_kafka_err2str(e)));
    Disconnect();
    return false;
  }
  partitions_ = count;
  if (checkpoint_.partitions() != count) {
    if (checkpoint_.partitions() != 0)
      common::Logger().warn("relay {}: topic has {} partitions, was {}: republishing the journal", options_.topic,
                            count, checkpoint_.partitions());
    checkpoint_.set_partitions(count);
    checkpoint_.set_published(0);
    checkpoint_.clear_tails();
    checkpoint_.clear_acked_end();
    for (int32_t p = 0; p < count; ++p) {
      checkpoint_.add_tails(0);
      checkpoint_.add_acked_end(0);
    }
    acked_ = 0;
    acked_end_.clear();
  }
  if (acked_ == checkpoint_.published()) acked_tails_.assign(checkpoint_.tails().begin(), checkpoint_.tails().end());
  if (acked_end_.size() != static_cast<size_t>(count))
    acked_end_.assign(checkpoint_.acked_end().begin(), checkpoint_.acked_end().end());
  produced_ = acked_;
  produced_tails_ = acked_tails_;
  in_flight_.clear();
  restart_ = false;
  next_loss_check_ = absl::InfinitePast();
  common::Logger().info("relay {}: connected, {} partitions, resuming after sequence {}", options_.topic, count,
                        produced_);
  return true;
}

void OutboxRelay::Worker::Disconnect() {
  if (rk_ == nullptr) return;
  discarding_ = true;  // answers for purged messages change nothing
  rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(rk_, 0);
  rd_kafka_destroy(rk_);
  discarding_ = false;
  rk_ = nullptr;
  in_flight_.clear();
}

bool OutboxRelay::Worker::ProduceSome() {
  const int64_t head = journal_->head().sequence;
  const int64_t room = options_.max_in_flight - static_cast<int64_t>(in_flight_.size());
  if (!stand_ins_.empty()) ProduceStandIns();
  if (produced_ >= head || room <= 0) return false;
  bool progress = false;
  auto read = journal_->Read(produced_ + 1, std::min<int64_t>(room, 4096), [&](const eventstore::JournalEntry& e) {
    auto env = eventstore::ParseEnvelope(e.envelope);
    if (!env.ok()) {  // the journal's own check failed: stop, say so, retry later; Verify() names it
      Trouble(false, absl::StrCat("journal entry ", e.sequence, ": ", env.status().message()));
      backoff_ = true;
      return false;
    }
    const int32_t part = PartitionFor(env->aggregate_id(), partitions_);
    WireHeaders h{env->event_type(), env->source_service(), e.sequence, produced_tails_[part], std::string(e.hash)};
    rd_kafka_resp_err_t err = Produce(part, env->aggregate_id(), h, e.envelope, e.sequence);
    if (err && RefusedForGood(err)) {  // too large for Kafka: a stand-in goes instead
      Refused(e.sequence, err);
      h.stand_in = true;
      err = Produce(part, env->aggregate_id(), h, {}, e.sequence);
    }
    if (err) {
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {  // the client is in trouble: alert, retry later
        Trouble(rd_kafka_fatal_error(rk_, nullptr, 0) != RD_KAFKA_RESP_ERR_NO_ERROR,
                absl::StrCat("produce of sequence ", e.sequence, ": ", rd_kafka_err2str(err)));
        backoff_ = true;
      }
      return false;
    }
    in_flight_.push_back(Flight{e.sequence, part, false});
    produced_tails_[part] = e.sequence;
    produced_ = e.sequence;
    progress = true;
    return true;
  });
  if (!read.ok()) {
    Trouble(false, std::string(read.status().message()));
    backoff_ = true;
  }
  return progress;
}

rd_kafka_resp_err_t OutboxRelay::Worker::Produce(int32_t part, std::string_view key, WireHeaders h,
                                                 std::string_view value, int64_t opaque) {
  h.partition = part;
  if (!options_.kafka.keys.Sign(h).ok()) return RD_KAFKA_RESP_ERR__AUTHENTICATION;  // checked at Start
  rd_kafka_headers_t* hdrs = NewHeaders(h);
  rd_kafka_resp_err_t err = rd_kafka_producev(
      rk_, RD_KAFKA_V_TOPIC(options_.topic.c_str()), RD_KAFKA_V_PARTITION(part), RD_KAFKA_V_KEY(key.data(), key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<intptr_t>(opaque))),
      RD_KAFKA_V_END);
  if (err) rd_kafka_headers_destroy(hdrs);
  return err;
}

void OutboxRelay::Worker::ProduceStandIns() {
  std::vector<int64_t> pending = std::move(stand_ins_);
  stand_ins_.clear();
  for (int64_t seq : pending) {
    auto read = journal_->Read(seq, 1, [&](const eventstore::JournalEntry& e) {
      auto env = eventstore::ParseEnvelope(e.envelope);
      if (!env.ok()) return false;
      WireHeaders h{env->event_type(), env->source_service(), seq, 0, std::string(e.hash), /*stand_in=*/true};
      if (auto err = Produce(PartitionFor(env->aggregate_id(), partitions_), env->aggregate_id(), h, {}, -seq); err)
        common::Logger().warn("relay {}: stand-in for sequence {}: {}", options_.topic, seq, rd_kafka_err2str(err));
      return true;
    });
    if (!read.ok())
      common::Logger().warn("relay {}: stand-in for sequence {}: {}", options_.topic, seq, read.status().ToString());
  }
}

void OutboxRelay::Worker::Delivered(const rd_kafka_message_t* m) {
  const int64_t seq = static_cast<int64_t>(reinterpret_cast<intptr_t>(m->_private));
  if (seq < 0) {  // an untracked stand-in
    if (m->err)
      common::Logger().warn("relay {}: stand-in for sequence {}: {}", options_.topic, -seq, rd_kafka_err2str(m->err));
    return;
  }
  if (discarding_ || in_flight_.empty()) return;
  const int64_t index = seq - in_flight_.front().sequence;
  if (index < 0 || index >= static_cast<int64_t>(in_flight_.size())) return;
  if (m->err && RefusedForGood(m->err)) {
    in_flight_[index].acked = true;
    Refused(seq, m->err);
    stand_ins_.push_back(seq);
    return;
  }
  if (m->err) {
    Trouble(true, absl::StrCat("delivery of sequence ", seq, " failed: ", rd_kafka_err2str(m->err)));
    return;
  }
  in_flight_[index].acked = true;
  if (m->partition < 0 || m->partition >= partitions_ || m->offset < 0) return;
  // Offsets in a partition only grow: one below what was acknowledged means the log was
  // truncated or replaced under us.
  if (m->offset < acked_end_[m->partition]) {
    loss_suspected_ = true;
    next_loss_check_ = absl::InfinitePast();
  }
  acked_end_[m->partition] = std::max(acked_end_[m->partition], m->offset + 1);
}

void OutboxRelay::Worker::Refused(int64_t sequence, rd_kafka_resp_err_t err) {
  ++refused_;
  common::Logger().error(
      "relay {}: Kafka refuses sequence {} for good ({}): a stand-in goes in its place, and consumers read the entry "
      "from the catch-up feed",
      options_.topic, sequence, rd_kafka_err2str(err));
}

void OutboxRelay::Worker::AdvanceAcked() {
  while (!in_flight_.empty() && in_flight_.front().acked) {
    acked_ = in_flight_.front().sequence;
    acked_tails_[in_flight_.front().partition] = acked_;
    in_flight_.pop_front();
  }
}

void OutboxRelay::Worker::Checkpoint(bool force) {
  const absl::Time now = absl::Now();
  if (!force && (acked_ == checkpoint_.published() || now < next_checkpoint_)) return;
  next_checkpoint_ = now + options_.checkpoint_interval;
  v1::RelayCheckpoint next = checkpoint_;
  next.set_published(acked_);
  next.mutable_tails()->Assign(acked_tails_.begin(), acked_tails_.end());
  next.mutable_acked_end()->Assign(acked_end_.begin(), acked_end_.end());
  auto s = store_->Put(Family::kMeta, checkpoint_key_, next.SerializeAsString(), /*sync=*/true);
  if (!s.ok()) {
    common::Logger().error("relay {}: cannot write checkpoint: {}", options_.topic, s.ToString());
    return;
  }
  checkpoint_ = std::move(next);
}

void OutboxRelay::Worker::CheckLoss() {
  const absl::Time now = absl::Now();
  if (now < next_loss_check_) return;
  next_loss_check_ = now + options_.loss_check_interval;
  std::vector<int64_t> high(partitions_, -1);
  bool lost = false;
  std::string detail;
  if (loss_suspected_) {
    lost = true;
    detail = " an acknowledged offset went backwards;";
    loss_suspected_ = false;
  }
  // Each partition's end, by a ListOffsets for the latest offset. Not through
  // rd_kafka_query_watermark_offsets: librdkafka 2.0 retries that one without end while its
  // broker is gone (on an idempotent producer), which stalled the relay on a dead broker and
  // kept it from following a new bootstrap. This call keeps its timeout.
  rd_kafka_topic_partition_list_t* ends = rd_kafka_topic_partition_list_new(partitions_);
  for (int32_t p = 0; p < partitions_; ++p)
    rd_kafka_topic_partition_list_add(ends, options_.topic.c_str(), p)->offset = RD_KAFKA_OFFSET_END;
  if (!rd_kafka_offsets_for_times(rk_, ends, 1000)) {  // else unknown now: look again at the next check
    for (int i = 0; i < ends->cnt; ++i) {
      const rd_kafka_topic_partition_t& e = ends->elems[i];
      if (e.err || e.offset < 0 || e.partition < 0 || e.partition >= partitions_) continue;
      high[e.partition] = e.offset;
      if (e.offset < acked_end_[e.partition]) {
        lost = true;
        absl::StrAppend(&detail, " partition ", e.partition, " ends at ", e.offset, " but ", acked_end_[e.partition],
                        " were acknowledged;");
      }
    }
  }
  rd_kafka_topic_partition_list_destroy(ends);
  if (!lost) return;
  common::Logger().warn("relay {}: the broker lost acknowledged messages ({}): republishing the journal",
                        options_.topic, detail);
  Disconnect();  // drop what is in flight; the producer starts afresh
  acked_ = 0;
  acked_tails_.assign(partitions_, 0);
  for (int32_t p = 0; p < partitions_; ++p) acked_end_[p] = std::max<int64_t>(high[p], 0);
  checkpoint_.set_republishes(checkpoint_.republishes() + 1);
  Checkpoint(/*force=*/true);
  restart_ = true;
}

void OutboxRelay::Worker::PublishStatus() {
  std::lock_guard<std::mutex> lock(status_mu_);
  status_.published = checkpoint_.published();
  status_.acknowledged = acked_;
  status_.produced = produced_;
  status_.in_flight = static_cast<int64_t>(in_flight_.size());
  status_.republishes = checkpoint_.republishes();
  status_.refused = refused_;
  status_.partitions = partitions_;
  status_.last_error = last_error_;
}

bool OutboxRelay::Worker::Pass() {
  if (const absl::Time now = absl::Now(); now >= next_bootstrap_check_) {
    next_bootstrap_check_ = now + absl::Seconds(1);
    if (RefreshBootstrap(options_.kafka)) {
      common::Logger().info("relay {}: Kafka bootstrap servers are now {}: reconnecting", options_.topic,
                            options_.kafka.bootstrap);
      restart_ = true;
    }
  }
  if (backoff_) {
    backoff_ = false;
    if (!loop_->Pause(absl::Seconds(1))) return false;
  }
  if (rk_ == nullptr || restart_) {
    Disconnect();
    if (!Connect()) {
      PublishStatus();
      loop_->Pause(absl::Seconds(1));  // retry in 1 s
      return true;
    }
  }
  CheckLoss();  // first, so a fresh broker is noticed before anything new lands in it
  if (restart_) return true;
  const bool produced = ProduceSome();
  rd_kafka_poll(rk_, (produced || in_flight_.empty()) ? 0 : 1);
  AdvanceAcked();
  Checkpoint(false);
  PublishStatus();
  if (!backoff_ && !produced && in_flight_.empty() && !restart_)
    journal_->WaitForHead(produced_, absl::Milliseconds(50));
  return true;
}

void OutboxRelay::Worker::Finish() {
  if (rk_ != nullptr) {
    rd_kafka_flush(rk_, 2000);
    AdvanceAcked();
    Checkpoint(true);
    Disconnect();
  }
  PublishStatus();
}

absl::StatusOr<std::unique_ptr<OutboxRelay>> OutboxRelay::Start(eventstore::Store* store,
                                                                const eventstore::Journal* journal,
                                                                RelayOptions options) {
  if (options.topic.empty()) options.topic = TopicFor(journal->source_service());
  if (options.max_in_flight < 1) return absl::InvalidArgumentError("relay max_in_flight must be at least 1");
  if (!options.kafka.keys.HasKeyFor(journal->source_service()))
    return absl::FailedPreconditionError(absl::StrCat("no bus key for ", journal->source_service(),
                                                      " in bus.keys_file: the relay signs every message it publishes"));
  std::unique_ptr<OutboxRelay> relay(new OutboxRelay());
  relay->worker_ = std::make_unique<Worker>(store, journal, std::move(options));
  auto s = relay->worker_->LoadCheckpoint();
  if (!s.ok()) return s;
  Worker* w = relay->worker_.get();
  relay->loop_ = std::make_unique<common::WorkerLoop>(
      common::WorkerLoop::Options{.name = "yl-relay", .period = {}}, [w] { return w->Pass(); }, [w] { w->Finish(); });
  w->RunsOn(relay->loop_.get());
  relay->loop_->Start();
  return relay;
}

OutboxRelay::~OutboxRelay() {
  if (!loop_ || loop_->Stop(absl::Seconds(6))) return;
  common::Logger().error("relay: the Kafka client did not stop within 6 s (broker unreachable?); leaving it");
  // Both still used by the thread left running; the journal has every event.
  (void)worker_.release();
  (void)loop_.release();
}

RelayStatus OutboxRelay::status() const { return worker_->status(); }

}  // namespace yilian::bus
