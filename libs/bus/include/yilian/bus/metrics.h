#pragma once
// The event-store and bus gauges every service exposes (host::Metrics), read every second:
//   yilian_journal_head_sequence        events appended (rate() gives appends per second)
//   yilian_relay_lag_events             appended but not yet acknowledged by Kafka
//   yilian_consumer_lag_events          per topic: messages in Kafka not yet applied
//   yilian_consumer_parked_events       events parked (unreadable or refused)
// Any part may be null (a service without a relay or a consumer). All are borrowed and must
// outlive the Metrics' refresher (stop the Metrics first).

#include "yilian/bus/consumer.h"
#include "yilian/bus/relay.h"
#include "yilian/eventstore/journal.h"
#include "yilian/host/metrics.h"

namespace yilian::bus {

void RegisterBusMetrics(host::Metrics* metrics, const eventstore::Journal* journal, const OutboxRelay* relay,
                        const BusConsumer* consumer);

}  // namespace yilian::bus
