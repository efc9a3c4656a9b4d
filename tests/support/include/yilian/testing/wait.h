#pragma once
// Waiting on a condition with a generous deadline, never on a fixed sleep.

#include <chrono>
#include <functional>
#include <thread>

namespace yilian::testing {

// Polls `condition` until it holds (true) or `deadline` passes (false).
inline bool WaitFor(const std::function<bool()>& condition,
                    std::chrono::milliseconds deadline = std::chrono::seconds(60)) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace yilian::testing
