// Freeing big collections off the command path. Freeing a container costs one free() per node,
// bucket or member (a million for a set of a million members), so a DEL, an overwrite, an
// expiry, an eviction or a FLUSHALL that drops a big one would stall every client of that
// I/O thread. Such a container goes to one background thread instead, as Redis's UNLINK and
// lazyfree do; small ones (and single-allocation packs, whatever their size) are freed inline.
//
// kv-server does this always (DEL behaves as UNLINK): Redis's lazyfree-lazy-* directives are
// not offered (docs/configuration.md). The shard's memory figure drops at once; the allocator's
// (used_memory, RSS) when the thread has freed it.
#pragma once

#include <cstdint>

#include "core/entry.h"

namespace kv {

// Frees `e` (a detached entry) and its container, on the background thread when the container
// is big enough to be worth it.
void DisposeEntry(Entry* e);

// INFO: containers queued and not yet freed; containers freed by the thread since start.
uint64_t LazyFreePendingObjects();
uint64_t LazyFreedObjects();

// Waits until the queue is empty (tests, shutdown).
void LazyFreeDrain();

}  // namespace kv
