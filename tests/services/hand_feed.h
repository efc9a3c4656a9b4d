#pragma once
// What a BusConsumer does, done by hand for in-process tests without Kafka: envelopes are
// applied to a service's consumer projector (its `consumed` family) in one write, then the
// service's inbox is poked and waited on until it has acted on everything.

#include <functional>
#include <stdexcept>

#include "yilian/common/uuid.h"
#include "yilian/eventstore/journal.h"
#include "yilian/eventstore/projection.h"
#include "yilian/testing/wait.h"

namespace yilian::testing {

class HandFeed {
 public:
  HandFeed(std::function<eventstore::Store&()> store, std::function<eventstore::Projector&()> projector,
           std::function<void()> notify, std::function<int64_t()> pending)
      : store_(std::move(store)),
        projector_(std::move(projector)),
        notify_(std::move(notify)),
        pending_(std::move(pending)) {}

  // Applies one envelope (with `stored`, the source's exact bytes, as a consumer does);
  // returns what the projector said (a refusal is what would be parked).
  absl::Status Deliver(const events::v1::Envelope& env, std::string_view stored = {}) {
    eventstore::StagedWrites wb;
    eventstore::ProjectionBatch rows(store_(), &wb, eventstore::Family::kConsumed);
    auto s = stored.empty() ? projector_().Apply(env, rows) : projector_().ApplyEntry(env, stored, rows);
    if (!s.ok()) return s;
    return store_().Write(wb);
  }
  // An event of another service (`payload` on aggregate type/id, at `sequence` of `source`),
  // delivered and drained; returns what the projector said.
  absl::Status Send(const google::protobuf::Message& payload, const std::string& source, int64_t sequence,
                    const std::string& type, const std::string& id) {
    events::v1::Envelope env;
    env.set_event_id(common::NewUuid());
    env.set_event_type(payload.GetDescriptor()->full_name());
    env.set_source_service(source);
    env.set_source_sequence(sequence);
    env.set_aggregate_type(type);
    env.set_aggregate_id(id);
    env.mutable_payload()->PackFrom(payload);
    auto s = Deliver(env);
    Drain();
    return s;
  }
  // Delivers `source`'s journal entries after the last one delivered, then drains.
  void Follow(const eventstore::Journal& source, int64_t& delivered) {
    std::vector<std::pair<events::v1::Envelope, std::string>> entries;
    auto n = source.Read(delivered + 1, 0, [&](const eventstore::JournalEntry& e) {
      entries.emplace_back(*eventstore::ParseEnvelope(e.envelope), std::string(e.envelope));
      return true;
    });
    if (!n.ok()) throw std::runtime_error(n.status().ToString());
    for (auto& [env, bytes] : entries) {
      if (auto s = Deliver(env, bytes); !s.ok()) throw std::runtime_error(s.ToString());
      delivered = env.source_sequence();
    }
    Drain();
  }
  // Pokes the inbox and waits until it is empty.
  void Drain() {
    notify_();
    if (!WaitFor([&] { return pending_() == 0; }, std::chrono::seconds(60)))
      throw std::runtime_error("the inbox did not drain");
  }

 private:
  std::function<eventstore::Store&()> store_;
  std::function<eventstore::Projector&()> projector_;
  std::function<void()> notify_;
  std::function<int64_t()> pending_;
};

}  // namespace yilian::testing
