#include "block_buffers.h"

#include <array>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

namespace yilian::eventstore {
namespace {

// Sizes are pooled in classes of 512 bytes up to 64 KB; each buffer carries a header with its
// class (0: not pooled, the exact size was asked of malloc).
constexpr size_t kGrain = 512;
constexpr size_t kClasses = (64 << 10) / kGrain;
constexpr size_t kHeader = 16;  // keeps the block 16-byte aligned, as malloc's are
constexpr size_t kPerClass = 16;

struct Header {
  uint32_t size_class;
};

struct ThreadPool {
  ~ThreadPool() { Release(); }
  void Release() {
    for (auto& buffers : free)
      for (char* b : buffers) std::free(b);
    for (auto& buffers : free) buffers.clear();
    bytes = 0;
  }
  size_t bytes = 0;
  std::array<std::vector<char*>, kClasses + 1> free;
};

// Live Pooled scopes on this thread; the pool itself is built only on threads that have one.
thread_local int pooled_scopes = 0;
thread_local ThreadPool pool;

}  // namespace

const std::shared_ptr<BlockBuffers>& BlockBuffers::Shared() {
  static const auto* shared = new std::shared_ptr<BlockBuffers>(std::make_shared<BlockBuffers>());
  return *shared;
}

void* BlockBuffers::Allocate(size_t size) {
  const size_t size_class = (size + kGrain - 1) / kGrain;
  const bool pooled = size_class <= kClasses && pooled_scopes > 0;
  char* raw = nullptr;
  if (pooled && !pool.free[size_class].empty()) {
    raw = pool.free[size_class].back();
    pool.free[size_class].pop_back();
    pool.bytes -= size_class * kGrain;
  } else {
    raw = static_cast<char*>(std::malloc(kHeader + (pooled ? size_class * kGrain : size)));
    if (raw == nullptr) throw std::bad_alloc();
  }
  const Header h{.size_class = pooled ? static_cast<uint32_t>(size_class) : 0};
  std::memcpy(raw, &h, sizeof h);
  return raw + kHeader;
}

void BlockBuffers::Deallocate(void* p) {
  if (p == nullptr) return;
  char* raw = static_cast<char*>(p) - kHeader;
  Header h{};
  std::memcpy(&h, raw, sizeof h);
  const size_t bytes = h.size_class * kGrain;
  if (h.size_class != 0 && pooled_scopes > 0 && pool.free[h.size_class].size() < kPerClass &&
      pool.bytes + bytes <= kPoolBytes) {
    pool.free[h.size_class].push_back(raw);
    pool.bytes += bytes;
    return;
  }
  std::free(raw);
}

BlockBuffers::Pooled::Pooled() { ++pooled_scopes; }

BlockBuffers::Pooled::~Pooled() {
  if (--pooled_scopes == 0) pool.Release();
}

}  // namespace yilian::eventstore
