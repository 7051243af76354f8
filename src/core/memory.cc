#include "core/memory.h"

#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>

#include "core/lazy_free.h"
#include "core/shard.h"

#ifdef KV_USE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define KV_SANITIZER_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define KV_SANITIZER_MALLOC 1
#endif
#endif
#ifdef KV_SANITIZER_MALLOC
// ASan and TSan replace malloc, so glibc's mallinfo2() sees none of the heap; ask the
// sanitizer's allocator. (GCC ships no <sanitizer/allocator_interface.h>; the symbol is in
// libasan and libtsan either way.)
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
#ifdef KV_SANITIZER_MALLOC
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
  // Read the pending figure on both sides of the allocator's: a background free that finished
  // in between would make the difference off by its size for a whole tick.
  int64_t pending = LazyFreePendingBytes();
  size_t allocated = 0;
  for (int tries = 0; tries < 3; ++tries) {
    allocated = AllocatorAllocated();
    const int64_t after = LazyFreePendingBytes();
    if (after == pending) break;
    pending = after;
  }
  g_overhead.store(static_cast<int64_t>(allocated) - tracked - pending - clients,
                   std::memory_order_relaxed);
}

void AddClientBufferBytes(int64_t delta) {
  g_client_buffers.fetch_add(delta, std::memory_order_relaxed);
}

int64_t ClientBufferBytes() { return g_client_buffers.load(std::memory_order_relaxed); }

int64_t UsedMemory() {
  return GlobalEngineStats().tracked_bytes.load(std::memory_order_relaxed) +
         LazyFreePendingBytes() + g_overhead.load(std::memory_order_relaxed);
}

int64_t UsedMemoryAfterPendingFrees() { return UsedMemory() - LazyFreePendingBytes(); }

std::string AllocatorStatsText() {
#ifdef KV_USE_JEMALLOC
  std::string out;
  malloc_stats_print(
      [](void* buf, const char* text) { static_cast<std::string*>(buf)->append(text); }, &out,
      nullptr);
  return out;
#else
  return "Stats not supported for the current allocator";
#endif
}

bool PurgeAllocator() {
#ifdef KV_USE_JEMALLOC
  char name[64];
  std::snprintf(name, sizeof name, "arena.%u.purge", static_cast<unsigned>(MALLCTL_ARENAS_ALL));
  return mallctl(name, nullptr, nullptr, nullptr, 0) == 0;
#else
  return true;
#endif
}

const char* AllocatorName() {
#ifdef KV_USE_JEMALLOC
  // Redis's form: the library and the release the build linked against.
#define KV_STR2(x) #x
#define KV_STR(x) KV_STR2(x)
  return "jemalloc-" KV_STR(JEMALLOC_VERSION_MAJOR) "." KV_STR(JEMALLOC_VERSION_MINOR) "." KV_STR(
      JEMALLOC_VERSION_BUGFIX);
#undef KV_STR
#undef KV_STR2
#else
  return "libc";
#endif
}

bool AllocatorFigures(size_t* allocated, size_t* active, size_t* resident) {
#ifdef KV_USE_JEMALLOC
  uint64_t epoch = 1;
  size_t sz = sizeof(epoch);
  mallctl("epoch", &epoch, &sz, &epoch, sz);
  sz = sizeof(size_t);
  if (mallctl("stats.allocated", allocated, &sz, nullptr, 0) != 0) return false;
  sz = sizeof(size_t);
  if (mallctl("stats.active", active, &sz, nullptr, 0) != 0) return false;
  sz = sizeof(size_t);
  return mallctl("stats.resident", resident, &sz, nullptr, 0) == 0;
#else
  (void)allocated;
  (void)active;
  (void)resident;
  return false;
#endif
}

}  // namespace kv
