#include "bus_fixture.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "yilian/common/status_macros.h"
#include "yilian/common/strings.h"
#include "yilian/testing/bus_keys.h"
#include "yilian/testing/v1/testing.pb.h"

namespace yilian::testing {

using eventstore::Family;

void SwitchableEventSource::Set(const std::string& source, const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  endpoints_[source] = bus::FeedEndpoint{address, kFeedToken, ""};
  current_ = std::make_shared<bus::GrpcEventSource>(endpoints_);
}

std::shared_ptr<bus::GrpcEventSource> SwitchableEventSource::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

absl::Status SwitchableEventSource::ReadJournal(const std::string& source, int64_t from, int64_t to, bus::EntryFn fn) {
  auto c = Current();
  if (!c) return absl::UnavailableError("no feed set");
  return c->ReadJournal(source, from, to, fn);
}

absl::Status SwitchableEventSource::ReadAggregate(const std::string& source, const std::string& type,
                                                  const std::string& id, int64_t from_version, int64_t to_version,
                                                  bus::EntryFn fn) {
  auto c = Current();
  if (!c) return absl::UnavailableError("no feed set");
  return c->ReadAggregate(source, type, id, from_version, to_version, fn);
}

absl::StatusOr<std::unique_ptr<OwnerNode>> OwnerNode::Start(const std::string& service, const std::string& dir) {
  std::unique_ptr<OwnerNode> n(new OwnerNode());
  n->service_ = service;
  ASSIGN_OR_RETURN(n->store_, eventstore::Store::Open({.path = dir}));
  ASSIGN_OR_RETURN(n->journal_, eventstore::Journal::Open(n->store_.get(), {.source_service = service}));
  n->auth_ = std::make_unique<host::Authenticator>(
      host::Authenticator::FromTokens({{kFeedToken, {"bus-test", "", common::Role::ROLE_SERVICE}}}));
  n->feed_ = std::make_unique<bus::FeedService>(n->journal_.get(),
                                                bus::ReadersOf(n->auth_->RequireRoles({common::Role::ROLE_SERVICE})));
  ASSIGN_OR_RETURN(n->host_, host::ServiceHost::Start({.service_name = service}, *n->auth_, {n->feed_.get()}));
  return n;
}

OwnerNode::~OwnerNode() {
  relay_.reset();
  host_.reset();
}

absl::Status OwnerNode::StartRelay(const std::string& bootstrap, std::map<std::string, std::string> properties) {
  relay_.reset();
  bus::RelayOptions options;
  options.kafka.bootstrap = bootstrap;
  options.kafka.properties = std::move(properties);
  options.kafka.client_id = service_ + "-relay";
  options.kafka.keys = yilian::testing::TestBusKeys();
  ASSIGN_OR_RETURN(relay_, bus::OutboxRelay::Start(store_.get(), journal_.get(), options));
  return absl::OkStatus();
}

absl::Status OwnerNode::Append(int64_t first, int64_t count, int aggregates, size_t pad) {
  const std::string note(pad, 'x');
  constexpr int64_t kWave = 2000;  // appends queued at once, so they share group commits
  for (int64_t done = 0; done < count; done += kWave) {
    const int64_t n = std::min(kWave, count - done);
    RETURN_IF_ERROR(AppendAll(*journal_, static_cast<int>(n), [&](int i) {
      auto req = CounterAppend(absl::StrCat(service_, "-", (first + done + i) % aggregates), eventstore::kAnyVersion);
      if (pad > 0) req.events[0] = CounterEvent(1, note);
      return req;
    }));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::unique_ptr<OwnerNode>>> StartOwners(const std::string& base_dir,
                                                                    const std::string& bootstrap,
                                                                    const std::vector<std::string>& services) {
  std::vector<std::unique_ptr<OwnerNode>> owners;
  for (const auto& service : services) {
    ASSIGN_OR_RETURN(auto owner, OwnerNode::Start(service, base_dir + "/" + service));
    RETURN_IF_ERROR(owner->StartRelay(bootstrap));
    owners.push_back(std::move(owner));
  }
  return owners;
}

absl::StatusOr<std::unique_ptr<ConsumerNode>> ConsumerNode::Open(const std::string& group, const std::string& dir,
                                                                 bool any_events) {
  std::unique_ptr<ConsumerNode> n(new ConsumerNode());
  n->group_ = group;
  n->any_events_ = any_events;
  ASSIGN_OR_RETURN(n->store_, eventstore::Store::Open({.path = dir}));
  return n;
}

ConsumerNode::~ConsumerNode() { consumer_.reset(); }

absl::Status ConsumerNode::StartConsumer(const std::string& bootstrap, std::vector<std::string> sources) {
  consumer_.reset();
  bus::ConsumerOptions options;
  options.kafka.bootstrap = bootstrap;
  options.kafka.client_id = group_;
  options.kafka.keys = yilian::testing::TestBusKeys();
  // A killed member's partitions move on after 6 s instead of the default 45 s.
  options.kafka.properties = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}};
  options.group_id = group_;
  options.sources = std::move(sources);
  options.projector = any_events_ ? static_cast<eventstore::Projector*>(&versions_) : &projector_;
  options.feed = &feed_;
  ASSIGN_OR_RETURN(consumer_, bus::BusConsumer::Start(store_.get(), options));
  return absl::OkStatus();
}

int64_t ConsumerNode::Applied() const {
  int64_t total = 0;
  auto s = store_->Scan(Family::kConsumed, any_events_ ? "events/" : "counter/", "",
                        [&](std::string_view, std::string_view value) {
                          int64_t version = 0;
                          v1::Counter c;
                          if (any_events_ && absl::SimpleAtoi(common::Sv(value), &version)) total += version;
                          if (!any_events_ && c.ParseFromArray(value.data(), static_cast<int>(value.size())))
                            total += c.events();
                          return true;
                        });
  return s.ok() ? total : -1;
}

std::map<std::string, std::string> CounterRows(const eventstore::Store& consumer) {
  std::map<std::string, std::string> rows;
  auto s = consumer.Scan(Family::kConsumed, "counter/", "", [&](std::string_view k, std::string_view v) {
    rows.emplace(k, v);
    return true;
  });
  if (!s.ok()) rows["error"] = s.status().ToString();
  return rows;
}

int64_t ParkedCount(const eventstore::Store& consumer) {
  auto n = consumer.Scan(Family::kConsumed, "bus/park/", "", [](std::string_view, std::string_view) { return true; });
  return n.ok() ? *n : -1;
}

absl::Status CheckExactlyOnce(const eventstore::Store& consumer,
                              const std::vector<const eventstore::Journal*>& owners) {
  if (int64_t parked = ParkedCount(consumer); parked != 0)
    return absl::InternalError(absl::StrCat(parked, " events parked"));
  const auto rows = CounterRows(consumer);
  size_t aggregates = 0;
  for (const auto* journal : owners) {
    std::map<std::string, int64_t> versions;
    RETURN_IF_ERROR(journal
                        ->Read(1, 0,
                               [&](const eventstore::JournalEntry& e) {
                                 auto env = eventstore::ParseEnvelope(e.envelope);
                                 if (env.ok()) versions[env->aggregate_id()] = env->aggregate_version();
                                 return env.ok();
                               })
                        .status());
    for (const auto& [id, version] : versions) {
      auto it = rows.find(absl::StrCat("counter/", id));
      if (it == rows.end()) return absl::NotFoundError(absl::StrCat("aggregate ", id, " never reached the consumer"));
      v1::Counter c;
      c.ParseFromString(it->second);
      if (c.events() != version || c.total() != version)
        return absl::InternalError(absl::StrCat("aggregate ", id, ": ", c.events(), " events applied (total ",
                                                c.total(), "), journal has ", version));
    }
    aggregates += versions.size();
  }
  if (rows.size() != aggregates)
    return absl::InternalError(
        absl::StrCat(rows.size(), " counters in the consumer, ", aggregates, " in the journals"));
  return absl::OkStatus();
}

}  // namespace yilian::testing
