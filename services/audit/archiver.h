#pragma once
// Puts other services' events into the archive. The BusConsumer (all yilian.*.events topics)
// queues every entry, byte for byte as its source stored it, in the inbox "audit/inbox" of
// the consumed family, in the same durable batch as its positions (bus::InboxProjector).
// The Archiver's loop drains the inbox in chunks: each entry becomes an ArchivedEvent
// appended through the command runner under the idempotency key "<source>/<sequence>" (so an
// entry delivered twice, or again after a crash, is archived once), and the chunk is deleted
// only once its appends are durable.
//
// An entry whose key is taken by different bytes is not lost: it is archived as another
// copy ("<source>/<sequence>/copy/<sha256>") and verify reports it. Thread-safe.

#include "yilian/bus/inbox.h"
#include "yilian/command/runner.h"
#include "yilian/common/worker_loop.h"
#include "yilian/eventstore/journal.h"

namespace yilian::audit {

class ArchiveProjector : public bus::InboxProjector {
 public:
  ArchiveProjector();
};

struct ArchiveRequest {
  std::string bytes;  // the source's stored entry
  bool from_feed = false;
  bool correction = false;  // replaces an archived copy that broke the source's chain
};

class Archiver {
 public:
  // `run_loop` false: nothing drains the inbox by itself (tests and benches call Archive).
  Archiver(eventstore::Store* store, eventstore::Journal* journal, bool run_loop = true);
  void Notify() { loop_.Notify(); }
  int64_t Pending() const;
  // Archives entries now, in order (repairs, tests, benches); waits until durable.
  absl::Status Archive(std::vector<ArchiveRequest> entries);

 private:
  // One chunk of the inbox; true when more may be waiting.
  bool Pass();
  eventstore::Store* store_;
  command::Runner runner_;
  std::string resume_;       // the passes': where the next scan of the inbox starts
  common::WorkerLoop loop_;  // last: stops first
};

}  // namespace yilian::audit
