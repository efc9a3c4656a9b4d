#include "yilian/common/worker_loop.h"

#include <pthread.h>

namespace yilian::common {

WorkerLoop::WorkerLoop(Options options, Pass pass, std::function<void()> on_stop) : state_(std::make_shared<State>()) {
  state_->options = std::move(options);
  state_->pass = std::move(pass);
  state_->on_stop = std::move(on_stop);
}

WorkerLoop::~WorkerLoop() { Stop(); }

void WorkerLoop::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([s = state_] { Loop(s); });
}

void WorkerLoop::Loop(const std::shared_ptr<State>& s) {
  pthread_setname_np(pthread_self(), s->options.name.substr(0, 15).c_str());
  bool again = false;
  while (true) {
    {
      std::unique_lock lock(s->mu);
      if (!again)
        s->cv.wait_for(lock, absl::ToChronoNanoseconds(s->options.period),
                       [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return s->stop || s->poked; });
      if (s->stop) break;
      s->poked = false;
    }
    std::lock_guard pass(s->pass_mu);
    again = s->pass();
  }
  if (s->on_stop) s->on_stop();
  std::lock_guard lock(s->mu);
  s->ended = true;
  s->cv.notify_all();
}

void WorkerLoop::Notify() {
  {
    std::lock_guard lock(state_->mu);
    state_->poked = true;
  }
  state_->cv.notify_all();
}

bool WorkerLoop::Pause(absl::Duration d) {
  std::unique_lock lock(state_->mu);
  state_->cv.wait_for(lock, absl::ToChronoNanoseconds(d),
                      [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return state_->stop; });
  return !state_->stop;
}

bool WorkerLoop::stopping() const {
  std::lock_guard lock(state_->mu);
  return state_->stop;
}

void WorkerLoop::RunExclusive(absl::FunctionRef<void()> fn) {
  std::lock_guard pass(state_->pass_mu);
  fn();
}

bool WorkerLoop::Stop(absl::Duration timeout) {
  {
    std::lock_guard lock(state_->mu);
    state_->stop = true;
  }
  state_->cv.notify_all();
  if (!thread_.joinable()) return true;
  {
    std::unique_lock lock(state_->mu);
    const auto ended = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return state_->ended; };
    if (timeout == absl::InfiniteDuration()) {
      state_->cv.wait(lock, ended);
    } else if (!state_->cv.wait_for(lock, absl::ToChronoNanoseconds(timeout), ended)) {
      thread_.detach();
      return false;
    }
  }
  thread_.join();
  return true;
}

}  // namespace yilian::common
