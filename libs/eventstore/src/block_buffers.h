#pragma once
// The buffers RocksDB reads blocks into (an uncompressed data block, about 4 KB each), handed
// out by its block cache's MemoryAllocator. A thread that holds a BlockBuffers::Pooled keeps
// the buffers it frees and reuses them for its next blocks instead of going to malloc.
//
// Why: a rebuild's journal reader frees and allocates one such buffer per block, hundreds of
// thousands per rebuild, each under a glibc arena lock (they are above its per-thread cache
// size). The services cap malloc at two arenas (memory.malloc_arenas), so that lock was often
// the fold thread's too, and the fold queued on it (up to 0.8 s of a 1M-event rebuild).
// RocksDB can hand blocks to jemalloc instead, but Debian builds it without; a global jemalloc
// made the live path's tail worse (docs/PERFORMANCE.md). Other threads allocate as before.
#include <memory>

#include "rocksdb/memory_allocator.h"

namespace yilian::eventstore {

class BlockBuffers final : public rocksdb::MemoryAllocator {
 public:
  // The one every store's block cache uses.
  static const std::shared_ptr<BlockBuffers>& Shared();

  const char* Name() const override { return "yilian.BlockBuffers"; }
  void* Allocate(size_t size) override;
  void Deallocate(void* p) override;

  // While one lives on a thread, the thread reuses the block buffers it frees (at most
  // kPoolBytes of them; they are released when the last Pooled on the thread goes).
  class Pooled {
   public:
    Pooled();
    ~Pooled();
    Pooled(const Pooled&) = delete;
    Pooled& operator=(const Pooled&) = delete;
  };
  static constexpr size_t kPoolBytes = 1 << 20;
};

}  // namespace yilian::eventstore
