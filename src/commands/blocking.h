// Blocking pops (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX BZMPOP): the registry of
// clients waiting on keys, and how they are woken.
//
// A blocked client keeps its request unconsumed (ClientState::block_requested); the request runs
// again whenever the client is woken, and replies once a key it waits on can serve it or its
// deadline passes. Waiters queue per (shard, key, kind), kind being the type they pop (list or
// sorted set), in the order they blocked: only the first of a queue may take from a key that
// other waiters also wait on (first come, first served, as Redis). Whatever makes a key ready
// (the shard's key-ready hook, SWAPDB) wakes the queue's first waiter; a waiter that leaves
// (served, timed out, unblocked, disconnected) wakes the next one of every queue it led, which
// re-checks the key. Waking crosses I/O threads through the waker the server installs (a post to
// the client's loop); nothing here touches a connection. XREADGROUP ">" readers queue here too
// (kind kStream, "<key>\0<group>" as the key) for their order only: they are woken through
// WaitOnKeyChanges (commands/stream_read_family.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/object.h"

namespace kv {

class Shard;
struct ClientState;
struct CommandContext;

namespace blocking {

// Marks a client blocked on keys in ClientState::blocked_owner (plugins put themselves there).
extern const char kKeysOwner;
// A deadline that never comes (timeout 0).
inline constexpr int64_t kForever = INT64_MAX;

// Runs the client's blocked request again on its loop (thread-safe). Installed by the server.
using Waker = void (*)(int io_thread, uint64_t client_id);
void SetWaker(Waker waker);
// Wakes one client through the installed waker (CLIENT UNBLOCK).
void Wake(int io_thread, uint64_t client_id);

// Installs the shard key-ready listener that wakes waiters.
void Install();

// With `shard` locked: whether `client` may take from `key` now, i.e. no other client waits
// on it for `kind` ahead of it.
bool MayServe(const Shard& shard, std::string_view key, ObjType kind, const ClientState& client);
// With `shard` locked: queues `client` on `key` (once; its place is kept across re-runs).
void Wait(const Shard& shard, std::string_view key, ObjType kind, ClientState& client);
// Asks the session to keep the client's request and run it again when woken (or at the
// deadline: now + timeout_ms, or never for 0), as blocked on keys.
void Block(ClientState& client, int64_t now_ms, int64_t timeout_ms);
// Leaves every queue the client is in; wakes the next waiter of each queue it led.
void Release(ClientState& client);
// Wakes the first waiter of every queue (SWAPDB: any waited key may now hold data).
void WakeAll();

// Plugins' BlockClient: the blocked command runs again when one of its declared keys changes
// (a write, an expiry, an eviction, a flush: WATCH's registrations, set once per block) or at
// ClientState::block_wake_at_ms, when the first of them expires; not by polling. Called by
// the handler, with the keys' shards locked.
void WaitOnKeyChanges(CommandContext& ctx);
// Ends that wait (the command replied, or its client left).
void StopWaitingOnKeyChanges(ClientState& client);

}  // namespace blocking

// CLIENT UNBLOCK id [TIMEOUT|ERROR] (blocking_family.cc): false when `ctx` is another CLIENT
// subcommand.
bool RunClientUnblockCommand(CommandContext& ctx);

}  // namespace kv
