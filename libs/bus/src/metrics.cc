#include "yilian/bus/metrics.h"

#include <map>

namespace yilian::bus {

void RegisterBusMetrics(host::Metrics* metrics, const eventstore::Journal* journal, const OutboxRelay* relay,
                        const BusConsumer* consumer) {
  if (metrics == nullptr) return;
  if (journal != nullptr)
    metrics->Gauge("yilian_journal_head_sequence", "events appended to this service's journal",
                   [journal] { return static_cast<double>(journal->head().sequence); });
  if (journal != nullptr && relay != nullptr)
    metrics->Gauge("yilian_relay_lag_events", "events appended but not yet acknowledged by Kafka", [journal, relay] {
      return static_cast<double>(std::max<int64_t>(0, journal->head().sequence - relay->status().acknowledged));
    });
  if (relay != nullptr)
    metrics->Gauge("yilian_relay_refused_events",
                   "entries the broker refused for good since start (consumers read them from the catch-up feed)",
                   [relay] { return static_cast<double>(relay->status().refused); });
  if (consumer != nullptr) {
    metrics->Gauges("yilian_consumer_lag_events", "messages in Kafka not yet applied, per topic", [consumer] {
      std::map<std::string, double> lag;
      const auto status = consumer->status();  // by value: keep it while iterating
      for (const auto& p : status.partitions()) lag[p.topic()] += static_cast<double>(std::max<int64_t>(0, p.lag()));
      std::vector<std::pair<host::Metrics::Labels, double>> out;
      for (const auto& [topic, n] : lag) out.push_back({{{"topic", topic}}, n});
      return out;
    });
    metrics->Gauge("yilian_consumer_parked_events", "events parked since start (unreadable or refused)",
                   [consumer] { return static_cast<double>(consumer->status().parked()); });
    metrics->Gauge("yilian_consumer_unverified_messages",
                   "messages parked since start because their MAC did not verify (forged, unsigned, unknown key)",
                   [consumer] { return static_cast<double>(consumer->status().unverified()); });
  }
}

}  // namespace yilian::bus
