#pragma once
// One aggregate's share of a command: its state and version as loaded, the events a decision
// adds to it (folded with the domain core's Evolve, so the command's reply shows the state
// they leave), and the journal append that writes them, each event in its envelope indexed
// for the audit by the service's own rule.
//
// A value type; not thread-safe.

#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "yilian/common/oneof_event.h"
#include "yilian/eventstore/journal.h"

namespace yilian::command {

// What the runner needs to know of an aggregate kind: its journal type, the domain's Evolve,
// and how its envelopes are indexed (patient, institutions) given the event and the state
// after it (and before it, for a kind that asks: keeping it costs a copy per event).
template <typename State, typename Event>
struct Kind {
  const char* type;
  absl::Status (*evolve)(std::optional<State>& state, const Event& event);
  // `before`: the state before the event when `index_needs_before`, else null.
  void (*index)(const Event& event, const State* before, const State& after, events::v1::Envelope& envelope);
  bool index_needs_before = false;
};

template <typename State, typename Event>
class Stream {
 public:
  // `version` 0: the aggregate does not exist yet.
  Stream(const Kind<State, Event>& kind, std::string id, std::optional<std::type_identity_t<State>> state,
         int64_t version)
      : kind_(&kind), id_(std::move(id)), state_(std::move(state)), loaded_(version) {}

  // Folds `events` into the state and keeps their envelopes. INTERNAL when the domain's own
  // events do not fold (a bug in the core): the stream is then unusable, and its decision fails.
  absl::Status Add(const std::vector<Event>& events) {
    for (const auto& e : events) {
      std::optional<State> before;
      if (kind_->index_needs_before) before = state_;
      if (auto s = kind_->evolve(state_, e); !s.ok())
        return absl::InternalError(
            absl::StrCat(kind_->type, " ", id_, ": the core's event does not fold: ", s.message()));
      auto env = common::EnvelopeOf(e);
      if (kind_->index) kind_->index(e, before ? &*before : nullptr, *state_, env);
      events_.push_back(std::move(env));
    }
    return absl::OkStatus();
  }

  const std::string& id() const { return id_; }
  const std::optional<State>& state() const { return state_; }
  std::optional<State>& mutable_state() { return state_; }
  int64_t loaded_version() const { return loaded_; }
  int64_t version() const { return loaded_ + static_cast<int64_t>(events_.size()); }  // after the events added
  bool empty() const { return events_.empty(); }

  // The append of the events added, expecting the version loaded.
  eventstore::AppendRequest Append() && {
    eventstore::AppendRequest req;
    req.aggregate_type = kind_->type;
    req.aggregate_id = id_;
    req.expected_version = loaded_ == 0 ? eventstore::kNoStream : loaded_;
    req.events = std::move(events_);
    return req;
  }

 private:
  const Kind<State, Event>* kind_;
  std::string id_;
  std::optional<State> state_;
  int64_t loaded_;
  std::vector<events::v1::Envelope> events_;
};

}  // namespace yilian::command
