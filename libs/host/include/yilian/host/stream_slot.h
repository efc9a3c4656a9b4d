#pragma once
// One of at most `limit` open server streams, counted by a counter the service owns: a watch
// takes a slot for its lifetime and is refused RESOURCE_EXHAUSTED at once when all are taken,
// so watches cannot take every server thread (or grow threads without bound).
//
//   host::StreamSlot slot(&open_watches_, kMaxWatches);
//   if (!slot.taken()) return host::StreamSlot::Refusal();
//
// Thread-safe (the counter is atomic); not copyable.

#include <atomic>

#include "grpcpp/grpcpp.h"

namespace yilian::host {

class StreamSlot {
 public:
  StreamSlot(std::atomic<int>* open, int limit) : open_(open), taken_(open->fetch_add(1) < limit) {
    if (!taken_) open_->fetch_sub(1);
  }
  ~StreamSlot() {
    if (taken_) open_->fetch_sub(1);
  }
  StreamSlot(const StreamSlot&) = delete;
  StreamSlot& operator=(const StreamSlot&) = delete;

  bool taken() const { return taken_; }
  static grpc::Status Refusal() {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "too many streams are open on this service; retry later");
  }

 private:
  std::atomic<int>* open_;
  const bool taken_;
};

}  // namespace yilian::host
