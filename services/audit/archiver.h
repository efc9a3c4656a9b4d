#pragma once
// Puts other services' events into the archive. The BusConsumer (all yilian.*.events topics)
// queues every entry, byte for byte as its source stored it, in the inbox "audit/inbox" of
// the consumed family, in the same durable batch as its positions (bus::InboxProjector).
// The Archiver thread drains the inbox in chunks: each entry becomes an ArchivedEvent
// appended to the archive journal under the idempotency key "<source>/<sequence>" (so an
// entry delivered twice, or again after a crash, is archived once), and the chunk is deleted
// only once its appends are durable.
//
// An entry whose key is taken by different bytes is not lost: it is archived as another
// copy ("<source>/<sequence>/copy/<sha256>") and verify reports it. Thread-safe.

#include <condition_variable>
#include <mutex>
#include <thread>

#include "yilian/bus/inbox.h"
#include "yilian/eventstore/journal.h"

namespace yilian::audit {

class ArchiveProjector : public bus::InboxProjector {
 public:
  ArchiveProjector();
};

struct ArchiveRequest {
  std::string bytes;        // the source's stored entry
  bool from_feed = false;
  bool correction = false;  // replaces an archived copy that broke the source's chain
};

class Archiver {
 public:
  Archiver(eventstore::Store* store, eventstore::Journal* journal, bool run_thread = true);
  ~Archiver();
  void Notify();
  int64_t Pending() const;
  // Archives entries now, in order (repairs, tests, benches); waits until durable.
  absl::Status Archive(std::vector<ArchiveRequest> entries);

 private:
  void Loop();
  eventstore::Store* store_;
  eventstore::Journal* journal_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;   // guarded by mu_
  bool poked_ = true;   // guarded by mu_
  std::string resume_;  // the loop thread's: where the next scan of the inbox starts
  std::thread thread_;
};

}  // namespace yilian::audit
