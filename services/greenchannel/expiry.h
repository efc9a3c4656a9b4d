#pragma once
// The hold expiry timer. Holds and their deadlines live in the journal (BedHeld carries
// expires_at_ms) and in the projection's expiry index, so the timer needs no state of its
// own and survives restarts: every `poll` it asks the index for holds due at the injected
// clock's now and has the writer expire each (an emergency case is re-placed, a referral's
// request released). Thread-safe; stops on destruction.

#include <condition_variable>
#include <mutex>
#include <thread>

#include "board_writer.h"

namespace yilian::greenchannel {

class ExpiryTimer {
 public:
  ExpiryTimer(const BoardView* view, BoardWriter* writer, absl::Duration poll = absl::Milliseconds(200));
  ~ExpiryTimer();
  // Expires what is due now; returns how many holds were due. The thread calls it every poll.
  int ExpireDue();

 private:
  const BoardView* view_;
  BoardWriter* writer_;
  absl::Duration poll_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace yilian::greenchannel
