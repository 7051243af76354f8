#include "core/memory.h"

#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>

#include "core/shard.h"

#ifdef KV_USE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define KV_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KV_ASAN 1
#endif
#endif
#ifdef KV_ASAN
// ASan replaces malloc, so glibc's mallinfo2() sees none of the heap; ask ASan's allocator.
// (GCC ships no <sanitizer/allocator_interface.h>; the symbol is in libasan either way.)
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace kv {

namespace {
std::atomic<int64_t> g_overhead{0};
std::atomic<int64_t> g_client_buffers{0};

size_t ReadStatusField(const char* field) {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  size_t kb = 0;
  const size_t n = std::strlen(field);
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, field, n) == 0) {
      kb = std::strtoull(line + n + 1, nullptr, 10);
      break;
    }
  }
  std::fclose(f);
  return kb * 1024;
}
}  // namespace

size_t AllocatorAllocated() {
#ifdef KV_USE_JEMALLOC
  // Stats are cached per epoch; bump it to read fresh totals.
  uint64_t epoch = 1;
  size_t sz = sizeof(epoch);
  mallctl("epoch", &epoch, &sz, &epoch, sz);
  size_t allocated = 0;
  sz = sizeof(allocated);
  if (mallctl("stats.allocated", &allocated, &sz, nullptr, 0) == 0) return allocated;
#endif
#ifdef KV_ASAN
  return __sanitizer_get_current_allocated_bytes();
#endif
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

size_t ProcessRss() { return ReadStatusField("VmRSS"); }
size_t ProcessPeakRss() { return ReadStatusField("VmHWM"); }

void RefreshMemoryOverhead() {
  const int64_t tracked = GlobalEngineStats().tracked_bytes.load(std::memory_order_relaxed);
  const int64_t clients = g_client_buffers.load(std::memory_order_relaxed);
  g_overhead.store(static_cast<int64_t>(AllocatorAllocated()) - tracked - clients,
                   std::memory_order_relaxed);
}

void AddClientBufferBytes(int64_t delta) {
  g_client_buffers.fetch_add(delta, std::memory_order_relaxed);
}

int64_t ClientBufferBytes() { return g_client_buffers.load(std::memory_order_relaxed); }

int64_t UsedMemory() {
  return GlobalEngineStats().tracked_bytes.load(std::memory_order_relaxed) +
         g_overhead.load(std::memory_order_relaxed);
}

const char* AllocatorName() {
#ifdef KV_USE_JEMALLOC
  return "jemalloc";
#else
  return "libc";
#endif
}

}  // namespace kv
