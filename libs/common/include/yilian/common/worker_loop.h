#pragma once
// One background thread that does a service's recurring work in passes: at start, whenever it
// is notified, and at least every `period` (0: one pass right after another, for a pass that
// waits by itself, as the bus's relay and consumer do on Kafka and the journal). The
// services' work loops run on one: deadline timers, hold expiry, inboxes, the archiver, the
// bus's relay and consumer.
//
// A pass returns true when more work is waiting (the next pass starts at once). It may back off
// with Pause, which returns early when the loop stops. RunExclusive runs work on the caller's
// thread (a pass for a test with a manual clock), never at the same time as a pass.
//
// Stop waits for the pass in hand, runs `on_stop` on the loop's thread, and joins it; with a
// timeout (librdkafka's destroy can wait minutes on an unreachable broker) a thread still
// running is left to finish alone, and what its pass and on_stop use must then outlive it.
// Thread-safe.

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/time/time.h"

namespace yilian::common {

class WorkerLoop {
 public:
  struct Options {
    std::string name;                          // the thread's name (15 characters are kept)
    absl::Duration period = absl::Seconds(1);  // the longest wait between passes
  };
  using Pass = std::function<bool()>;
  WorkerLoop(Options options, Pass pass, std::function<void()> on_stop = nullptr);
  ~WorkerLoop();  // Stop()
  WorkerLoop(const WorkerLoop&) = delete;
  WorkerLoop& operator=(const WorkerLoop&) = delete;

  // Starts the thread; separate from construction so an owner can finish building what the
  // pass uses first.
  void Start();
  // Work may be waiting: the next pass starts now (or right after the one in hand).
  void Notify();
  // For a pass: waits `d`, or less when the loop stops. False when it is stopping.
  bool Pause(absl::Duration d);
  bool stopping() const;
  // Runs `fn` on the calling thread while no pass runs.
  void RunExclusive(absl::FunctionRef<void()> fn);
  // Stops the loop: true when its thread ended within `timeout` and was joined, false when it
  // was left running. Idempotent.
  bool Stop(absl::Duration timeout = absl::InfiniteDuration());

 private:
  struct State {
    Options options;
    Pass pass;
    std::function<void()> on_stop;
    std::mutex pass_mu;  // one pass at a time (the thread's, or RunExclusive's work)
    std::mutex mu;
    std::condition_variable cv;
    bool stop ABSL_GUARDED_BY(mu) = false;
    bool poked ABSL_GUARDED_BY(mu) = true;  // look for work at start
    bool ended ABSL_GUARDED_BY(mu) = false;
  };
  static void Loop(const std::shared_ptr<State>& s);
  std::shared_ptr<State> state_;  // shared with the thread, which may outlive this object
  std::thread thread_;
};

}  // namespace yilian::common
