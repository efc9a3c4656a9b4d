// A bus node as a separate process, for tests that SIGKILL it:
//   bus_node owner --service S --dir D --bootstrap B --events N --aggregates K
//     serves S's feed (prints "feed=<address>"), relays its journal to Kafka, appends until
//     the journal holds N events (printing "head=<n>"), prints "published=<n>" once the
//     relay has checkpointed everything, and runs until SIGTERM.
//   bus_node consumer --group G --dir D --bootstrap B --source S=ADDRESS...
//     consumes the sources' topics into a strict counter projection, printing
//     "applied=<n>" as it grows, until SIGTERM. --any-events records any service's events
//     (last version per aggregate) instead.

#include <atomic>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_split.h"
#include "bus_fixture.h"
#include "yilian/common/logging.h"
#include "yilian/common/strings.h"
#include "yilian/host/service_host.h"

namespace {

using yilian::testing::ConsumerNode;
using yilian::testing::OwnerNode;

int Fail(const absl::Status& s) {
  std::cerr << "bus_node: " << s << std::endl;
  return 2;
}

int RunOwner(const std::string& service, const std::string& dir, const std::string& bootstrap, int64_t events,
             int aggregates) {
  auto node = OwnerNode::Start(service, dir);
  if (!node.ok()) return Fail(node.status());
  std::cout << "feed=" << (*node)->feed_address() << std::endl;
  if (auto s = (*node)->StartRelay(bootstrap); !s.ok()) return Fail(s);
  std::atomic<bool> stop{false};
  std::thread work([&] {
    for (int64_t head = (*node)->journal().head().sequence; head < events && !stop;) {
      auto s = (*node)->Append(head, std::min<int64_t>(1000, events - head), aggregates);
      if (!s.ok()) {
        Fail(s);
        std::_Exit(3);
      }
      head = (*node)->journal().head().sequence;
      std::cout << "head=" << head << std::endl;
    }
    while (!stop && !(*node)->relay()->PublishedThrough(events))
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!stop) std::cout << "published=" << events << std::endl;
  });
  yilian::host::WaitForShutdownSignal();
  stop = true;
  work.join();
  return 0;
}

int RunConsumer(const std::string& group, const std::string& dir, const std::string& bootstrap,
                const std::vector<std::string>& sources, bool any_events) {
  auto node = ConsumerNode::Open(group, dir, any_events);
  if (!node.ok()) return Fail(node.status());
  std::vector<std::string> names;
  for (const auto& s : sources) {
    std::vector<std::string> kv = absl::StrSplit(yilian::common::Sv(s), absl::MaxSplits('=', 1));
    if (kv.size() != 2) return Fail(absl::InvalidArgumentError("--source wants NAME=ADDRESS"));
    (*node)->SetFeed(kv[0], kv[1]);
    names.push_back(kv[0]);
  }
  if (auto s = (*node)->StartConsumer(bootstrap, names); !s.ok()) return Fail(s);
  std::atomic<bool> stop{false};
  std::thread report([&] {
    int64_t last = -1;
    while (!stop) {
      const int64_t applied = (*node)->Applied();
      if (applied != last) std::cout << "applied=" << applied << std::endl;
      last = applied;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  yilian::host::WaitForShutdownSignal();
  stop = true;
  report.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  yilian::host::BlockShutdownSignals();
  if (auto s = yilian::common::InitLogging({.service = "bus_node", .level = "warn"}); !s.ok()) return Fail(s);
  CLI::App app{"bus test node"};
  app.require_subcommand(1);
  std::string dir, bootstrap, service, group;
  int64_t events = 0;
  int aggregates = 100;
  std::vector<std::string> sources;
  auto* owner = app.add_subcommand("owner");
  owner->add_option("--service", service)->required();
  owner->add_option("--dir", dir)->required();
  owner->add_option("--bootstrap", bootstrap)->required();
  owner->add_option("--events", events)->required();
  owner->add_option("--aggregates", aggregates);
  auto* consumer = app.add_subcommand("consumer");
  consumer->add_option("--group", group)->required();
  consumer->add_option("--dir", dir)->required();
  consumer->add_option("--bootstrap", bootstrap)->required();
  consumer->add_option("--source", sources)->required();
  bool any_events = false;
  consumer->add_flag("--any-events", any_events, "record any service's events (not only test counters)");
  CLI11_PARSE(app, argc, argv);
  if (owner->parsed()) return RunOwner(service, dir, bootstrap, events, aggregates);
  return RunConsumer(group, dir, bootstrap, sources, any_events);
}
