// Memory figures for INFO and maxmemory.
//
// The shards count what they allocate (entries, slot arrays, expiry indexes) in
// EngineStats::tracked_bytes on every write. The allocator's own total (jemalloc
// "stats.allocated", like Redis's used_memory) is exact but costly to read, so the server cron
// refreshes the difference between the two every 100 ms and UsedMemory() adds it to the live
// counter: cheap enough to check before every write, honest within one cron tick.
//
// Client connection buffers (query and reply buffers) are counted apart and left out of
// UsedMemory(), the figure maxmemory and eviction compare: what a client sends or has not read
// yet must not make every other client's writes fail with OOM, nor evict the keyspace. They are
// bounded per client instead (client-query-buffer-limit, output-buffer-limit) and reported in
// INFO as mem_clients_normal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace kv {

// Bytes currently allocated through malloc, as the allocator reports it.
size_t AllocatorAllocated();
// Resident set size of this process.
size_t ProcessRss();
// Peak RSS (VmHWM).
size_t ProcessPeakRss();
// Refreshes the cached allocator overhead; called by the cron.
void RefreshMemoryOverhead();
// tracked bytes + bytes the lazy-free thread has yet to free + last measured overhead, client
// buffers excluded: INFO's used_memory. A background free lowers it when it finishes.
int64_t UsedMemory();
// UsedMemory() without the bytes queued for the lazy-free thread: what maxmemory compares. Those
// bytes go back without anything else happening, so evicting live keys or refusing writes for
// them would lose data or availability for a figure that is already on its way down.
int64_t UsedMemoryAfterPendingFrees();
// Connections report growth (+) and release (-) of their buffers here.
void AddClientBufferBytes(int64_t delta);
int64_t ClientBufferBytes();
// INFO's mem_allocator, in Redis's form: "jemalloc-5.3.0" or "libc".
const char* AllocatorName();
// jemalloc's stats.allocated, stats.active (bytes in pages holding allocations) and
// stats.resident (bytes of the allocator's pages in RAM), read in one stats epoch so that their
// differences mean something: Redis's allocator_allocated, allocator_active and
// allocator_resident. False under another allocator, which gives no such figures.
bool AllocatorFigures(size_t* allocated, size_t* active, size_t* resident);
// MEMORY MALLOC-STATS: the allocator's own report (jemalloc's malloc_stats_print), or Redis's
// "Stats not supported for the current allocator" under another allocator.
std::string AllocatorStatsText();
// MEMORY PURGE: returns dirty pages of every jemalloc arena to the system; nothing to do under
// another allocator. False when jemalloc refused.
bool PurgeAllocator();

}  // namespace kv
