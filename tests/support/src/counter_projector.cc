#include "yilian/testing/counter_projector.h"

#include <future>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace yilian::testing {

absl::Status CounterProjector::Apply(const events::v1::Envelope& event, eventstore::ProjectionBatch& rows) {
  v1::CounterIncremented inc;
  if (!event.payload().UnpackTo(&inc)) return absl::InvalidArgumentError("payload is not CounterIncremented");
  if (inc.note() == "poison") return absl::FailedPreconditionError("poison event refused by projector");
  const std::string key = absl::StrCat("counter/", event.aggregate_id());
  auto row = rows.Get(key);
  if (!row.ok()) return row.status();
  v1::Counter counter;
  if (*row) counter.ParseFromString(**row);
  // Exactly once, in aggregate order: anything else is refused (and, on the bus, parked).
  if (event.aggregate_version() != counter.events() + 1)
    return absl::FailedPreconditionError(absl::StrCat("counter ", event.aggregate_id(), " got version ",
                                                      event.aggregate_version(), " after ", counter.events()));
  counter.set_total(counter.total() + inc.amount());
  counter.set_events(counter.events() + 1);
  counter.set_last_sequence(event.source_sequence());
  rows.Put(key, counter.SerializeAsString());
  return absl::OkStatus();
}

absl::Status AggregateVersionProjector::Apply(const events::v1::Envelope& event, eventstore::ProjectionBatch& rows) {
  const std::string key =
      absl::StrCat("events/", event.source_service(), "/", event.aggregate_type(), "/", event.aggregate_id());
  auto row = rows.Get(key);
  if (!row.ok()) return row.status();
  int64_t last = 0;
  if (*row && !absl::SimpleAtoi(**row, &last)) return absl::DataLossError("bad version row");
  if (event.aggregate_version() != last + 1)
    return absl::FailedPreconditionError(
        absl::StrCat(key, " got version ", event.aggregate_version(), " after ", last));
  rows.Put(key, absl::StrCat(event.aggregate_version()));
  return absl::OkStatus();
}

events::v1::Envelope CounterEvent(int64_t amount, const std::string& note) {
  events::v1::Envelope env;
  env.set_event_type("testing.CounterIncremented");
  env.set_schema_version(1);
  v1::CounterIncremented inc;
  inc.set_amount(amount);
  inc.set_note(note);
  env.mutable_payload()->PackFrom(inc);
  return env;
}

eventstore::AppendRequest CounterAppend(const std::string& id, int64_t expected_version, int events) {
  eventstore::AppendRequest req;
  req.aggregate_type = "counter";
  req.aggregate_id = id;
  req.expected_version = expected_version;
  req.actor = common::Principal{"tester", "test-institution", common::Role::ROLE_SERVICE};
  for (int i = 0; i < events; ++i) req.events.push_back(CounterEvent(1));
  return req;
}

absl::Status AppendAll(eventstore::Journal& journal, int count,
                       const std::function<eventstore::AppendRequest(int)>& make) {
  std::vector<std::promise<absl::Status>> done(count);
  for (int i = 0; i < count; ++i)
    journal.AppendAsync(make(i),
                        [&done, i](absl::StatusOr<eventstore::AppendResult> r) { done[i].set_value(r.status()); });
  absl::Status first;
  for (auto& d : done) {
    absl::Status s = d.get_future().get();
    if (first.ok()) first = s;
  }
  return first;
}

}  // namespace yilian::testing
