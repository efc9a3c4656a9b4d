// The background loop every service's recurring work runs on.
#include "yilian/common/worker_loop.h"

#include <atomic>
#include <future>
#include <thread>

#include "gtest/gtest.h"
#include "yilian/testing/wait.h"

namespace yilian::common {
namespace {

using yilian::testing::WaitFor;

TEST(WorkerLoopTest, RunsAtStartWhenNotifiedAndAgainAtOnceWhenMoreIsWaiting) {
  std::atomic<int> passes = 0;
  std::atomic<int> more = 0;  // passes still to run back to back
  WorkerLoop loop({.name = "test", .period = absl::Hours(1)}, [&] {
    ++passes;
    return more.fetch_sub(1) > 0;
  });
  loop.Start();
  ASSERT_TRUE(WaitFor([&] { return passes == 1; }));  // at start, not after an hour
  more = 3;
  loop.Notify();
  ASSERT_TRUE(WaitFor([&] { return passes == 5; }));  // the notified pass, then three more at once
  EXPECT_TRUE(loop.Stop());
  EXPECT_EQ(passes, 5);
}

TEST(WorkerLoopTest, ExclusiveWorkNeverRunsBesideAPass) {
  std::atomic<int> inside = 0, overlaps = 0, passes = 0;
  auto work = [&] {
    if (++inside > 1) ++overlaps;
    std::this_thread::yield();
    --inside;
  };
  WorkerLoop loop({.name = "test", .period = absl::ZeroDuration()}, [&] {
    work();
    ++passes;
    return true;
  });
  loop.Start();
  for (int i = 0; i < 2000; ++i) loop.RunExclusive(work);
  ASSERT_TRUE(WaitFor([&] { return passes > 0; }));
  loop.Stop();
  EXPECT_EQ(overlaps, 0);
}

TEST(WorkerLoopTest, StopCutsAPauseShortAndRunsOnStopOnTheLoopsThread) {
  std::promise<std::thread::id> stopped_on;
  std::atomic<std::thread::id> pass_thread;
  std::atomic<bool> paused = false, pause_result = true;
  WorkerLoop* self = nullptr;
  WorkerLoop loop(
      {.name = "test"},
      [&] {
        pass_thread = std::this_thread::get_id();
        paused = true;
        pause_result = self->Pause(absl::Hours(1));  // a back-off that must not hold up a stop
        return false;
      },
      [&] { stopped_on.set_value(std::this_thread::get_id()); });
  self = &loop;
  loop.Start();
  ASSERT_TRUE(WaitFor([&] { return paused.load(); }));
  EXPECT_TRUE(loop.Stop());
  EXPECT_FALSE(pause_result);
  EXPECT_EQ(stopped_on.get_future().get(), pass_thread.load());
  EXPECT_TRUE(loop.stopping());
}

TEST(WorkerLoopTest, AStopWithATimeoutLeavesAStuckPassRunning) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> in_pass = false, finished = false;
  {
    WorkerLoop loop({.name = "test"}, [&, released] {
      in_pass = true;
      released.wait();  // stuck, like a Kafka client that cannot reach its broker
      finished = true;
      return false;
    });
    loop.Start();
    ASSERT_TRUE(WaitFor([&] { return in_pass.load(); }));
    EXPECT_FALSE(loop.Stop(absl::Milliseconds(50)));
  }  // the loop object is gone; its thread still runs on what it shares
  EXPECT_FALSE(finished);
  release.set_value();
  EXPECT_TRUE(WaitFor([&] { return finished.load(); }));
}

}  // namespace
}  // namespace yilian::common
