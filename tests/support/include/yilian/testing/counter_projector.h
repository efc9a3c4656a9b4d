#pragma once
// A small real projector for tests and benchmarks of the event store: each
// CounterIncremented event adds to row "counter/<aggregate id>" (a Counter message).
// Fails an event whose note is "poison" (to test rollback), and an event whose aggregate
// version is not the counter's next one (so a duplicate or a skipped event shows).

#include <functional>

#include "yilian/eventstore/journal.h"
#include "yilian/eventstore/projection.h"
#include "yilian/testing/v1/testing.pb.h"

namespace yilian::testing {

class CounterProjector : public eventstore::Projector {
 public:
  absl::Status Apply(const events::v1::Envelope& event, eventstore::ProjectionBatch& rows) override;
};

// Any service's events: row "events/<source>/<aggregate type>/<id>" holds the last version
// applied (decimal). Refuses every version but the next, so duplicates and gaps show.
class AggregateVersionProjector : public eventstore::Projector {
 public:
  absl::Status Apply(const events::v1::Envelope& event, eventstore::ProjectionBatch& rows) override;
};

// An envelope carrying CounterIncremented{amount, note}.
events::v1::Envelope CounterEvent(int64_t amount, const std::string& note = "");
// An append of `events` counter events of amount 1 to counter `id`.
eventstore::AppendRequest CounterAppend(const std::string& id, int64_t expected_version, int events = 1);
// Queues `count` appends made by `make(i)` at once (so they share group commits), waits for
// all of them, and returns the first error, if any.
absl::Status AppendAll(eventstore::Journal& journal, int count,
                       const std::function<eventstore::AppendRequest(int)>& make);

}  // namespace yilian::testing
