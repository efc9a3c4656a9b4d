#pragma once
// The hold expiry timer. Holds and their deadlines live in the journal (BedHeld carries
// expires_at) and in the projection's expiry index, so the timer needs no state of its
// own and survives restarts: every `poll` it asks the index for holds due at the injected
// clock's now and has each one's owner dealt with: an emergency case is placed again (or, if
// that fails, keeps its destination as an overflow), a referral's request is released, and a
// hold nobody owns any more expires. Thread-safe; stops on destruction.

#include "bed_commands.h"
#include "case_commands.h"
#include "yilian/common/worker_loop.h"

namespace yilian::greenchannel {

class ExpiryTimer {
 public:
  ExpiryTimer(Board* board, CaseCommands* cases, BedCommands* beds, absl::Duration poll = absl::Milliseconds(200));
  // Expires what is due now; returns how many holds were due. The loop calls it every poll.
  int ExpireDue();

 private:
  int Pass();
  absl::Status Expire(const DueHold& due);
  Board* board_;
  CaseCommands* cases_;
  BedCommands* beds_;
  common::WorkerLoop loop_;  // last: stops first
};

}  // namespace yilian::greenchannel
