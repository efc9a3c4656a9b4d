// Child process for crash_test: appends to a journal from 4 threads forever and reports
// each acknowledged append on stdout as "ack <idempotency key> <sequence>", until killed.
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "yilian/testing/counter_projector.h"

int main(int argc, char** argv) {
  using namespace yilian;
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <db dir> <run id>\n", argv[0]);
    return 2;
  }
  auto store = eventstore::Store::Open({.path = argv[1]});
  if (!store.ok()) return 3;
  testing::CounterProjector projector;
  auto journal = eventstore::Journal::Open(store->get(), {.source_service = "crash", .projector = &projector});
  if (!journal.ok()) return 4;
  std::mutex out_mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        auto req = testing::CounterAppend(absl::StrCat("agg", i % 13), eventstore::kAnyVersion, 1 + i % 3);
        req.idempotency_key = absl::StrCat(argv[2], "/", t, "/", i);
        req.request_hash = req.idempotency_key;
        auto r = (*journal)->Append(std::move(req));
        if (!r.ok()) continue;
        std::string line = absl::StrCat("ack ", argv[2], "/", t, "/", i, " ", r->first_sequence, "\n");
        std::lock_guard<std::mutex> lock(out_mu);
        if (write(STDOUT_FILENO, line.data(), line.size()) < 0) return;
      }
    });
  }
  for (auto& t : threads) t.join();
}
