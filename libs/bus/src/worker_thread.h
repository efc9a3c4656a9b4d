#pragma once
// The thread a relay or consumer runs on, joined with a bound: librdkafka 2.0's
// rd_kafka_destroy can wait minutes on an unreachable broker, and a service must still stop.
// What the thread was doing is durable already (journal, checkpoints, positions), so a
// thread that overruns is detached and left to the process exit.

#include <pthread.h>

#include <functional>
#include <future>
#include <memory>
#include <thread>

#include "absl/time/time.h"

namespace yilian::bus {

class WorkerThread {
 public:
  void Start(const char* name, std::function<void()> run) {
    done_ = std::make_shared<std::promise<void>>();
    thread_ = std::thread([name, run = std::move(run), done = done_] {
      pthread_setname_np(pthread_self(), name);
      run();
      done->set_value();
    });
  }
  // True when the thread finished within `timeout` (and was joined); false when it was
  // detached still running (the caller must then leak what it uses).
  bool Join(absl::Duration timeout) {
    if (!thread_.joinable()) return true;
    if (done_->get_future().wait_for(absl::ToChronoNanoseconds(timeout)) == std::future_status::ready) {
      thread_.join();
      return true;
    }
    thread_.detach();
    return false;
  }

 private:
  std::shared_ptr<std::promise<void>> done_;
  std::thread thread_;
};

}  // namespace yilian::bus
