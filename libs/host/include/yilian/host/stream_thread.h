#pragma once
// A server stream of a callback service, produced on a thread of its own: the producer writes
// messages one at a time (each waits until gRPC has taken the previous one) and returns the
// status the stream ends with. For watches that wait on the journal between writes, which must
// not hold one of gRPC's few callback threads. At most `limit` such streams run per process
// group (the counter passed in); more are refused RESOURCE_EXHAUSTED at once.
//
//   return host::StreamThread<Change>::Start(&open_watches, 256,
//       [=](auto cancelled, auto write) { return queries->Watch(..., cancelled, write); });
//
// The reactor deletes itself when gRPC is done with it. Thread-safe.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "yilian/host/grpc_status.h"
#include "yilian/host/stream_slot.h"

namespace yilian::host {

template <typename Message>
class StreamThread final : public grpc::ServerWriteReactor<Message> {
 public:
  using IsCancelled = absl::FunctionRef<bool()>;
  using Write = absl::FunctionRef<bool(const Message&)>;
  using Produce = std::function<absl::Status(IsCancelled cancelled, Write write)>;

  static grpc::ServerWriteReactor<Message>* Start(std::atomic<int>* open, int limit, Produce produce) {
    auto* self = new StreamThread(open, limit);
    if (!self->slot_.taken()) {
      self->Finish(StreamSlot::Refusal());
      return self;
    }
    self->thread_ = std::thread([self, p = std::move(produce)] { self->Run(p); });
    return self;
  }

  void OnWriteDone(bool ok) override {
    {
      std::lock_guard lock(mu_);
      writing_ = false;
      broken_ = broken_ || !ok;
    }
    cv_.notify_all();
  }
  void OnCancel() override {
    {
      std::lock_guard lock(mu_);
      cancelled_ = true;
    }
    cv_.notify_all();
  }
  void OnDone() override {
    if (thread_.joinable()) {
      if (thread_.get_id() == std::this_thread::get_id())
        thread_.detach();
      else
        thread_.join();
    }
    delete this;
  }

 private:
  StreamThread(std::atomic<int>* open, int limit) : slot_(open, limit) {}

  bool Stopped() {
    std::lock_guard lock(mu_);
    return cancelled_ || broken_;
  }
  bool WriteOne(const Message& m) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !writing_; });
    if (cancelled_ || broken_) return false;
    message_ = m;
    writing_ = true;
    lock.unlock();
    this->StartWrite(&message_);
    return true;
  }
  void Run(const Produce& produce) {
    const absl::Status status = produce([this] { return Stopped(); }, [this](const Message& m) { return WriteOne(m); });
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !writing_; });  // gRPC still holds the last message
    }
    this->Finish(ToGrpcStatus(status));
  }

  StreamSlot slot_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool writing_ = false;
  bool cancelled_ = false;
  bool broken_ = false;
  Message message_;
  std::thread thread_;
};

}  // namespace yilian::host
