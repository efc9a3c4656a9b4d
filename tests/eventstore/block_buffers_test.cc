// RocksDB's block buffers: a thread with a Pooled scope reuses the ones it frees (bounded),
// every other use is plain malloc, and a buffer may be freed on any thread.
#include "src/block_buffers.h"

#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace yilian::eventstore {
namespace {

char* Filled(BlockBuffers& buffers, size_t size, char c) {
  char* p = static_cast<char*>(buffers.Allocate(size));
  std::memset(p, c, size);  // the whole size is writable
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u) << "blocks keep malloc's alignment";
  return p;
}

TEST(BlockBuffersTest, APooledThreadReusesTheBufferItFreed) {
  BlockBuffers& buffers = *BlockBuffers::Shared();
  BlockBuffers::Pooled pooled;
  char* first = Filled(buffers, 4100, 'a');
  buffers.Deallocate(first);
  char* again = Filled(buffers, 4200, 'b');  // the same 512-byte class
  EXPECT_EQ(again, first);
  buffers.Deallocate(again);
}

TEST(BlockBuffersTest, ThePoolKeepsAtMostSixteenBuffersOfAClass) {
  BlockBuffers& buffers = *BlockBuffers::Shared();
  BlockBuffers::Pooled pooled;
  std::vector<char*> held;
  for (int i = 0; i < 20; ++i) held.push_back(Filled(buffers, 4096, 'c'));
  for (char* p : held) buffers.Deallocate(p);
  const std::set<char*> freed(held.begin(), held.end());
  std::vector<char*> again;
  for (int i = 0; i < 20; ++i) again.push_back(Filled(buffers, 4096, 'd'));
  int reused = 0;
  for (char* p : again) reused += freed.count(p) > 0 && p != nullptr;
  EXPECT_GE(reused, 16);  // the pool's sixteen (malloc may hand back the others too)
  for (char* p : again) buffers.Deallocate(p);
}

TEST(BlockBuffersTest, LargeBlocksAndUnpooledThreadsUseMallocAndMayFreeAnywhere) {
  BlockBuffers& buffers = *BlockBuffers::Shared();
  char* large = Filled(buffers, 200 << 10, 'e');  // above the pooled sizes
  char* plain = Filled(buffers, 4096, 'f');       // no Pooled scope on this thread
  char* from_pool = nullptr;
  std::thread([&] {
    BlockBuffers::Pooled pooled;
    buffers.Deallocate(large);
    buffers.Deallocate(plain);
    from_pool = Filled(buffers, 8000, 'g');
  }).join();  // its pool was released when the thread's scope ended
  EXPECT_EQ(from_pool[7999], 'g');
  buffers.Deallocate(from_pool);  // a pooled thread's buffer, freed on a thread without a pool
}

}  // namespace
}  // namespace yilian::eventstore
