#include "yilian/bus/consumer.h"

#include <librdkafka/rdkafka.h>

#include "worker_thread.h"
#include <pthread.h>

#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "yilian/bus/embedded_broker.h"
#include "yilian/bus/propagation.h"
#include "yilian/bus/wire.h"
#include "yilian/common/logging.h"
#include "yilian/common/sha256.h"
#include "yilian/common/strings.h"
#include "yilian/common/uuid.h"
#include "yilian/eventstore/journal.h"

namespace yilian::bus {

using eventstore::EncodeU64;
using eventstore::DecodeU64;
using eventstore::Family;
using eventstore::ProjectionBatch;

namespace {

constexpr char kParkPrefix[] = "bus/park/";
constexpr size_t kFlushOps = 20000;  // write a long catch-up in pieces

std::string PositionKey(const std::string& topic, int32_t partition) {
  return absl::StrCat("bus/pos/", topic, std::string(1, '\0'), EncodeU64(static_cast<uint32_t>(partition)));
}

std::string VersionKey(const std::string& source, const events::v1::Envelope& e) {
  std::string k = absl::StrCat("bus/v/", source);
  k.push_back('\0');
  k.append(e.aggregate_type());
  k.push_back('\0');
  k.append(e.aggregate_id());
  return k;
}

// Checks a message's headers, hash and envelope; fills `hdrs` as far as they could be read.
absl::StatusOr<events::v1::Envelope> ReadMessage(const rd_kafka_message_t* m, std::string_view value,
                                                 const std::string& source, WireHeaders& hdrs) {
  auto h = ReadHeaders(m);
  if (!h.ok()) return h.status();
  hdrs = *h;
  if (common::Sha256(value) != hdrs.hash)
    return absl::DataLossError("the value does not match its yilian-sha256 header");
  auto env = eventstore::ParseEnvelope(value);
  if (!env.ok()) return env.status();
  if (env->source_sequence() != hdrs.sequence || env->source_service() != source)
    return absl::InvalidArgumentError("the envelope's source or sequence disagrees with its headers and topic");
  return env;
}

// Trouble that says nothing about the event (retry it) rather than a refusal (park it).
bool IsTransient(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kCancelled: return true;
    default: return false;
  }
}

// Version row: 8 bytes (applied version) + "B" when the aggregate is blocked behind a
// parked event.
struct Applied {
  int64_t version = 0;
  bool blocked = false;
};

}  // namespace

class BusConsumer::Worker {
 public:
  Worker(eventstore::Store* store, ConsumerOptions options) : store_(store), options_(std::move(options)) {
    for (const auto& s : options_.sources) topic_source_[TopicFor(s)] = s;
  }
  ~Worker() {
    if (rk_ != nullptr) rd_kafka_destroy(rk_);  // only when Start failed before Run
  }
  absl::Status Connect();
  // Leaves the group and drops the client (positions are durable already). `wait`: false
  // leaves the destruction of the client to a thread of its own: one whose brokers are gone
  // can take a minute to wind down, and a new client must not wait for it.
  void Close(bool wait);
  void Run();
  void Stop() { stop_ = true; }
  v1::GetConsumerStatusResponse status() const {
    std::lock_guard<std::mutex> lock(status_mu_);
    return status_;
  }

 private:
  struct Part {
    std::string topic;
    int32_t partition = 0;
    std::string source;
    v1::ConsumerPosition pos;
    bool dirty = false;
    bool paused = false;
    absl::Time resume_at;
  };
  // Where an event came from, for parking records.
  struct Origin {
    const Part* part;
    int64_t offset;  // -1: from the feed
    size_t size;
  };
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                          void* opaque) {
    static_cast<Worker*>(opaque)->Rebalance(err, parts);
  }
  void Rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts);
  void Process(std::vector<rd_kafka_message_t*>& batch);
  void Handle(const rd_kafka_message_t* m, ProjectionBatch& rows);
  absl::Status FillPartition(Part& part, int64_t to, ProjectionBatch& rows);
  // `bytes`: the entry as the source stored it.
  absl::Status Apply(const std::string& source, const events::v1::Envelope& env, std::string_view bytes,
                     const Origin& origin, ProjectionBatch& rows);
  absl::Status ApplyOne(const std::string& source, const events::v1::Envelope& env, std::string_view bytes,
                        const Origin& origin, ProjectionBatch& rows);
  void Park(v1::ParkedEvent parked, const Origin& origin, std::string_view value);
  void Pause(Part& part, const absl::Status& why);
  void ResumeDue();
  absl::Status Flush();
  int32_t PartitionCount(const std::string& topic);
  void PublishStatus(bool force);

  eventstore::Store* store_;
  ConsumerOptions options_;
  std::map<std::string, std::string> topic_source_;
  std::atomic<bool> stop_{false};

  // Owned by the consumer thread.
  rd_kafka_t* rk_ = nullptr;
  std::map<std::pair<std::string, int32_t>, Part> parts_;
  eventstore::StagedWrites wb_;
  std::string last_error_;
  int64_t applied_ = 0, duplicates_ = 0, filled_ = 0, parked_ = 0;
  // Commit times of the events applied in the batch being built: observed once it is written.
  std::vector<std::pair<std::string, absl::Time>> committed_;
  PropagationHistogram propagation_;
  absl::Time next_status_ = absl::InfinitePast();

  mutable std::mutex status_mu_;
  v1::GetConsumerStatusResponse status_;  // guarded by status_mu_
};

absl::Status BusConsumer::Worker::Connect() {
  KafkaSettings kafka = options_.kafka;
  // A fetch returns at once when data is there; when there is none, the broker holds it at
  // most this long. librdkafka's 500 ms default would be the bus's latency on a quiet topic
  // with brokers (like the embedded one) that do not answer a waiting fetch early.
  kafka.properties.emplace("fetch.wait.max.ms", "5");
  auto conf = NewKafkaConf(kafka, {{"group.id", options_.group_id},
                                            {"enable.auto.commit", "true"},  // informational only: the store is the truth
                                            {"enable.auto.offset.store", "false"},
                                            {"auto.offset.reset", "earliest"},
                                            {"enable.partition.eof", "false"},
                                            // the rebalance callback uses eager assign/unassign
                                            {"partition.assignment.strategy", "range,roundrobin"}});
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_rebalance_cb(*conf, &Worker::OnRebalance);
  rd_kafka_conf_set_opaque(*conf, this);
  char err[512];
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, *conf, err, sizeof err);
  if (rk_ == nullptr) {
    rd_kafka_conf_destroy(*conf);
    return absl::InvalidArgumentError(absl::StrCat("cannot create the Kafka consumer: ", err));
  }
  rd_kafka_poll_set_consumer(rk_);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(static_cast<int>(topic_source_.size()));
  for (const auto& [topic, source] : topic_source_)
    rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(rk_, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (e) return absl::InvalidArgumentError(absl::StrCat("cannot subscribe: ", rd_kafka_err2str(e)));
  return absl::OkStatus();
}

void BusConsumer::Worker::Rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* list) {
  if (err != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    auto s = Flush();  // nothing is pending between batches; belt and braces
    if (!s.ok()) common::Logger().error("consumer {}: {}", options_.group_id, s.ToString());
    parts_.clear();
    rd_kafka_assign(rk_, nullptr);
    return;
  }
  for (int i = 0; i < list->cnt; ++i) {
    rd_kafka_topic_partition_t& tp = list->elems[i];
    Part part;
    part.topic = tp.topic;
    part.partition = tp.partition;
    part.source = topic_source_[part.topic];
    auto row = store_->Get(Family::kConsumed, PositionKey(part.topic, part.partition));
    if (row.ok() && *row) part.pos.ParseFromString(**row);
    if (!row.ok()) common::Logger().error("consumer {}: {}", options_.group_id, row.status().ToString());
    tp.offset = part.pos.next_offset() > 0 ? part.pos.next_offset() : RD_KAFKA_OFFSET_BEGINNING;
    parts_[{part.topic, part.partition}] = std::move(part);
  }
  common::Logger().info("consumer {}: assigned {} partitions", options_.group_id, list->cnt);
  rd_kafka_assign(rk_, list);
  rd_kafka_resume_partitions(rk_, list);  // librdkafka keeps an application pause across reassignment
}

int32_t BusConsumer::Worker::PartitionCount(const std::string& topic) {
  // Read afresh for every fill (fills are rare): a repartitioned topic must not be filtered
  // with the old count.
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  int32_t count = 0;
  if (rd_kafka_metadata(rk_, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 &&
      !md->topics[0].err)
    count = md->topics[0].partition_cnt;
  if (md) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
  return count;
}

void BusConsumer::Worker::Park(v1::ParkedEvent parked, const Origin& origin, std::string_view value) {
  parked.set_topic(origin.part->topic);
  parked.set_partition(origin.part->partition);
  parked.set_offset(origin.offset);
  if (parked.source_service().empty()) parked.set_source_service(origin.part->source);
  parked.set_size_bytes(static_cast<int64_t>(value.size()));
  parked.set_value(std::string(value));
  *parked.mutable_parked_at() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      absl::ToUnixNanos(options_.clock->Now()));
  common::Logger().warn("consumer {}: parked {} seq {} ({} {} v{}) from {}[{}]@{}: {}", options_.group_id,
                        parked.source_service(), parked.source_sequence(), parked.aggregate_type(),
                        parked.aggregate_id(), parked.aggregate_version(), parked.topic(), parked.partition(),
                        parked.offset(), parked.reason());
  ProjectionBatch(*store_, &wb_, Family::kConsumed)
      .Put(absl::StrCat(kParkPrefix, common::NewUuid()), parked.SerializeAsString());
  ++parked_;
}

void BusConsumer::Worker::Pause(Part& part, const absl::Status& why) {
  common::Logger().warn("consumer {}: pausing {}[{}] at offset {}: {}", options_.group_id, part.topic, part.partition,
                        part.pos.next_offset(), why.ToString());
  part.paused = true;
  part.resume_at = absl::Now() + options_.retry_backoff;
  rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, part.topic.c_str(), part.partition);
  rd_kafka_pause_partitions(rk_, l);
  rd_kafka_topic_partition_list_destroy(l);
}

void BusConsumer::Worker::ResumeDue() {
  const absl::Time now = absl::Now();
  for (auto& [key, part] : parts_) {
    if (!part.paused || now < part.resume_at) continue;
    rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, part.topic.c_str(), part.partition)->offset =
        part.pos.next_offset() > 0 ? part.pos.next_offset() : RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_error_t* e = rd_kafka_seek_partitions(rk_, l, 5000);
    const std::string failed = e ? rd_kafka_error_string(e) : l->elems[0].err ? rd_kafka_err2str(l->elems[0].err) : "";
    if (e) rd_kafka_error_destroy(e);
    if (!failed.empty()) {  // resuming now would skip what arrived while paused
      common::Logger().warn("consumer {}: seek {}[{}]: {}; retrying", options_.group_id, part.topic, part.partition,
                            failed);
      part.resume_at = now + options_.retry_backoff;
      rd_kafka_topic_partition_list_destroy(l);
      continue;
    }
    rd_kafka_resume_partitions(rk_, l);
    rd_kafka_topic_partition_list_destroy(l);
    part.paused = false;
  }
}

absl::Status BusConsumer::Worker::ApplyOne(const std::string& source, const events::v1::Envelope& env,
                                           std::string_view bytes, const Origin& origin, ProjectionBatch& rows) {
  wb_.SetSavePoint();
  absl::Status s = options_.projector->ApplyEntry(env, bytes, rows);
  if (IsTransient(s)) {  // disk or store trouble, not the event's fault: retry later
    wb_.RollbackToSavePoint();
    return s;
  }
  Applied next{env.aggregate_version(), false};
  if (s.ok()) {
    wb_.PopSavePoint();
    ++applied_;
    committed_.emplace_back(source, absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(
                                        env.recorded_at())));
  } else {
    wb_.RollbackToSavePoint();
    v1::ParkedEvent p;
    p.set_source_service(source);
    p.set_source_sequence(env.source_sequence());
    p.set_aggregate_type(env.aggregate_type());
    p.set_aggregate_id(env.aggregate_id());
    p.set_aggregate_version(env.aggregate_version());
    p.set_event_type(env.event_type());
    p.set_reason(absl::StrCat("projector refused the event: ", s.ToString()));
    common::LogScope scope("correlation_id", env.correlation_id());
    Park(std::move(p), origin, bytes);
    next.blocked = true;
  }
  rows.Put(VersionKey(source, env), EncodeU64(static_cast<uint64_t>(next.version)) + (next.blocked ? "B" : ""));
  return absl::OkStatus();
}

absl::Status BusConsumer::Worker::Apply(const std::string& source, const events::v1::Envelope& env,
                                        std::string_view bytes, const Origin& origin, ProjectionBatch& rows) {
  auto row = rows.Get(VersionKey(source, env));
  if (!row.ok()) return row.status();
  Applied applied;
  if (*row && (*row)->size() >= 8) {
    applied.version = static_cast<int64_t>(DecodeU64((*row)->substr(0, 8)));
    applied.blocked = (*row)->size() > 8;
  }
  const int64_t v = env.aggregate_version();
  if (v <= applied.version) {
    ++duplicates_;
    return absl::OkStatus();
  }
  if (applied.blocked) {
    v1::ParkedEvent p;
    p.set_source_service(source);
    p.set_source_sequence(env.source_sequence());
    p.set_aggregate_type(env.aggregate_type());
    p.set_aggregate_id(env.aggregate_id());
    p.set_aggregate_version(v);
    p.set_event_type(env.event_type());
    p.set_reason(absl::StrCat("aggregate is blocked behind its parked version ", applied.version));
    common::LogScope scope("correlation_id", env.correlation_id());
    Park(std::move(p), origin, bytes);
    rows.Put(VersionKey(source, env), EncodeU64(static_cast<uint64_t>(v)) + "B");
    return absl::OkStatus();
  }
  if (v > applied.version + 1) {  // this aggregate missed versions: fetch them first
    if (options_.feed == nullptr) return absl::UnavailableError("aggregate gap and no catch-up feed configured");
    int64_t reached = applied.version;
    absl::Status s = options_.feed->ReadAggregate(
        source, env.aggregate_type(), env.aggregate_id(), applied.version + 1, v - 1,
        [&](int64_t seq, std::string_view hash, std::string_view bytes) -> absl::Status {
          if (common::Sha256(bytes) != hash) return absl::DataLossError(absl::StrCat("feed entry ", seq, " fails its hash"));
          auto missing = eventstore::ParseEnvelope(bytes);
          if (!missing.ok()) return missing.status();
          if (missing->aggregate_version() != reached + 1)
            return absl::DataLossError(absl::StrCat("the feed skipped version ", reached + 1));
          reached = missing->aggregate_version();
          ++filled_;
          return ApplyOne(source, *missing, bytes, Origin{origin.part, -1, bytes.size()}, rows);
        });
    if (!s.ok()) return s;
    if (reached < v - 1)
      return absl::UnavailableError(absl::StrCat("the feed ended at version ", reached, " of ", env.aggregate_id()));
  }
  return ApplyOne(source, env, bytes, origin, rows);
}

absl::Status BusConsumer::Worker::FillPartition(Part& part, int64_t to, ProjectionBatch& rows) {
  if (options_.feed == nullptr) return absl::UnavailableError("partition gap and no catch-up feed configured");
  const int32_t count = PartitionCount(part.topic);
  if (count <= 0) return absl::UnavailableError(absl::StrCat("no metadata for ", part.topic));
  common::Logger().info("consumer {}: {}[{}] missed sequences {}..{}: reading them from the {} feed",
                        options_.group_id, part.topic, part.partition, part.pos.watermark() + 1, to, part.source);
  int64_t reached = part.pos.watermark();
  absl::Status read = options_.feed->ReadJournal(
      part.source, part.pos.watermark() + 1, to,
      [&](int64_t seq, std::string_view hash, std::string_view bytes) -> absl::Status {
        if (seq != reached + 1)
          return absl::DataLossError(absl::StrCat("the feed skipped from ", reached, " to ", seq));
        reached = seq;
        if (common::Sha256(bytes) != hash) return absl::DataLossError(absl::StrCat("feed entry ", seq, " fails its hash"));
        auto env = eventstore::ParseEnvelope(bytes);
        if (!env.ok()) return env.status();
        if (PartitionFor(env->aggregate_id(), count) == part.partition) {
          ++filled_;
          auto s = Apply(part.source, *env, bytes, Origin{&part, -1, bytes.size()}, rows);
          if (!s.ok()) return s;
        }
        part.pos.set_watermark(seq);
        part.dirty = true;
        if (wb_.Count() > kFlushOps) return Flush();
        return absl::OkStatus();
      });
  if (read.ok() && reached < to)
    return absl::UnavailableError(absl::StrCat("the ", part.source, " feed ended at ", reached, ", before ", to));
  return read;
}

void BusConsumer::Worker::Handle(const rd_kafka_message_t* m, ProjectionBatch& rows) {
  auto it = parts_.find({rd_kafka_topic_name(m->rkt), m->partition});
  if (it == parts_.end() || it->second.paused) return;  // revoked, or to be read again after a pause
  Part& part = it->second;
  const std::string_view value(static_cast<const char*>(m->payload), m->payload ? m->len : 0);
  const Origin origin{&part, m->offset, value.size()};
  auto advance = [&] {
    part.pos.set_next_offset(m->offset + 1);
    part.dirty = true;
  };
  WireHeaders hdrs;
  auto env = ReadMessage(m, value, part.source, hdrs);
  if (!env.ok()) {  // unreadable: park it; the real event (if any) comes again or from the feed
    v1::ParkedEvent p;
    p.set_source_sequence(hdrs.sequence);
    p.set_event_type(hdrs.type);
    p.set_reason(absl::StrCat("unreadable message: ", env.status().message()));
    Park(std::move(p), origin, value);
    return advance();
  }
  if (hdrs.sequence <= part.pos.watermark()) {
    ++duplicates_;
    return advance();
  }
  if (hdrs.previous > part.pos.watermark()) {
    auto s = FillPartition(part, hdrs.previous, rows);
    if (!s.ok()) return Pause(part, s);
  }
  auto s = Apply(part.source, *env, value, origin, rows);
  if (!s.ok()) return Pause(part, s);
  part.pos.set_watermark(hdrs.sequence);
  advance();
}

absl::Status BusConsumer::Worker::Flush() {
  rd_kafka_topic_partition_list_t* commit = rd_kafka_topic_partition_list_new(static_cast<int>(parts_.size()));
  for (auto& [key, part] : parts_) {
    if (!part.dirty) continue;
    ProjectionBatch(*store_, &wb_, Family::kConsumed).Put(PositionKey(part.topic, part.partition),
                                                          part.pos.SerializeAsString());
    if (part.pos.next_offset() > 0)
      rd_kafka_topic_partition_list_add(commit, part.topic.c_str(), part.partition)->offset = part.pos.next_offset();
  }
  // Each key is written once, with its final value, however often the batch rewrote it (a busy
  // aggregate's row is rewritten per event): that spares the memtable.
  const bool written = !wb_.empty();
  absl::Status result = store_->Write(wb_);
  if (!result.ok()) committed_.clear();
  if (result.ok() && commit->cnt > 0) rd_kafka_offsets_store(rk_, commit);
  rd_kafka_topic_partition_list_destroy(commit);
  if (result.ok()) {
    const absl::Time applied_at = options_.clock->Now();
    for (const auto& [source, committed] : committed_) propagation_.Observe(source, applied_at - committed);
    committed_.clear();
    for (auto& [key, part] : parts_) part.dirty = false;
    if (options_.on_commit && written) options_.on_commit();
  } else {
    // What was applied in memory is gone: every partition goes back to its stored position
    // and waits a little, so nothing is skipped.
    common::Logger().error("consumer {}: {}; re-reading from the stored positions", options_.group_id,
                           result.ToString());
    for (auto& [key, part] : parts_) {
      auto row = store_->Get(Family::kConsumed, PositionKey(part.topic, part.partition));
      part.pos.Clear();
      if (row.ok() && *row) part.pos.ParseFromString(**row);
      part.dirty = false;
      if (!part.paused) Pause(part, result);
    }
  }
  return result;
}

void BusConsumer::Worker::Process(std::vector<rd_kafka_message_t*>& batch) {
  ProjectionBatch rows(*store_, &wb_, Family::kConsumed);
  for (rd_kafka_message_t* m : batch) {
    if (m->err) {
      const std::string what = rd_kafka_message_errstr(m);
      if (what != last_error_) common::Logger().warn("consumer {}: Kafka: {}", options_.group_id, what);
      last_error_ = what;
    } else {
      Handle(m, rows);
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
    auto* p = st.add_partitions();
    p->set_topic(part.topic);
    p->set_partition(part.partition);
    p->set_next_offset(part.pos.next_offset());
    p->set_watermark(part.pos.watermark());
    int64_t lo = -1, hi = -1;
    if (rd_kafka_get_watermark_offsets(rk_, part.topic.c_str(), part.partition, &lo, &hi) || hi < 0) {
      p->set_high_watermark(-1);
      p->set_lag(-1);
    } else {
      p->set_high_watermark(hi);
      p->set_lag(std::max<int64_t>(0, hi - std::max<int64_t>(part.pos.next_offset(), lo)));
    }
  }
  st.set_applied(applied_);
  st.set_duplicates(duplicates_);
  st.set_filled(filled_);
  st.set_parked(parked_);
  propagation_.ToProto(st.mutable_propagation());
  std::lock_guard<std::mutex> lock(status_mu_);
  status_ = std::move(st);
}

void BusConsumer::Worker::Run() {
  std::vector<rd_kafka_message_t*> batch;
  batch.reserve(options_.max_batch);
  absl::Time next_bootstrap_check = absl::Now() + absl::Seconds(1);
  while (!stop_) {
    if (const absl::Time now = absl::Now(); now >= next_bootstrap_check) {
      next_bootstrap_check = now + absl::Seconds(1);
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
      continue;
    }
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 100);
    while (m != nullptr) {
      batch.push_back(m);
      if (static_cast<int>(batch.size()) >= options_.max_batch) break;
      m = rd_kafka_consumer_poll(rk_, 0);
    }
    if (!batch.empty()) Process(batch);
    ResumeDue();
    PublishStatus(false);
  }
  PublishStatus(true);
  Close(/*wait=*/true);
}

void BusConsumer::Worker::Close(bool wait) {
  if (rk_ == nullptr) return;
  // Leave the group, but never wait on an absent broker: positions are already durable in
  // RocksDB, so a close cut short loses nothing (the group only rebalances later).
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
  std::unique_ptr<BusConsumer> c(new BusConsumer());
  c->store_ = store;
  c->worker_ = std::make_unique<Worker>(store, std::move(options));
  auto s = c->worker_->Connect();
  if (!s.ok()) return s;
  c->thread_ = std::make_unique<WorkerThread>();
  c->thread_->Start("yl-consumer", [w = c->worker_.get()] { w->Run(); });
  return c;
}

BusConsumer::~BusConsumer() {
  if (worker_) worker_->Stop();
  if (!thread_ || thread_->Join(absl::Seconds(6))) return;
  common::Logger().error("consumer: the Kafka client did not stop within 6 s (broker unreachable?); leaving it");
  (void)worker_.release();  // still used by the detached thread
}

v1::GetConsumerStatusResponse BusConsumer::status() const { return worker_->status(); }

absl::StatusOr<v1::ListParkedResponse> BusConsumer::ListParked(int page_size, const std::string& page_token) const {
  if (page_size < 0) return absl::InvalidArgumentError("page_size must not be negative");
  if (page_size == 0) page_size = 100;
  page_size = std::min(page_size, 1000);
  std::string start = kParkPrefix;
  if (!page_token.empty()) {
    std::string raw;
    if (!absl::WebSafeBase64Unescape(common::Sv(page_token), &raw) || raw.rfind(kParkPrefix, 0) != 0)
      return absl::InvalidArgumentError("page_token is not one this consumer issued");
    start = raw;
    start.push_back('\0');  // strictly after the last key returned
  }
  v1::ListParkedResponse out;
  std::string last;
  absl::Status bad;
  auto n = store_->Scan(Family::kConsumed, kParkPrefix, start, [&](std::string_view key, std::string_view value) {
    if (out.parked_size() == page_size) {
      out.set_next_page_token(absl::WebSafeBase64Escape(common::Sv(last)));
      return false;
    }
    v1::ParkedEvent* p = out.add_parked();
    if (!p->ParseFromArray(value.data(), static_cast<int>(value.size())))
      bad = absl::DataLossError(absl::StrCat("parked record ", common::Sv(key), " does not parse"));
    p->clear_value();
    last = std::string(key);
    return bad.ok();
  });
  if (!n.ok()) return n.status();
  if (!bad.ok()) return bad;
  return out;
}

}  // namespace yilian::bus
