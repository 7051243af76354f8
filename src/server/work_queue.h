// WorkQueue: closures handed to one libuv loop by any thread. Post() appends under a mutex and
// wakes the loop with a uv_async_t; the loop runs everything posted, in posting order, on its
// own thread. So work one thread posts to a loop runs there in the order it was posted
// (pub/sub relies on this for per-publisher message order); work from different threads
// interleaves in the order their Post calls took the mutex.
//
// Closing the queue (on the loop, when it stops) runs nothing more: later Post calls return
// false and drop their closure, so nothing posted can outlive the loop's objects.
#pragma once

#include <uv.h>

#include <functional>
#include <mutex>
#include <vector>

namespace kv {

class WorkQueue {
 public:
  using Work = std::function<void()>;

  // Attaches to `loop` (on the loop's thread, before it runs). The handle does not keep the
  // loop alive on its own.
  explicit WorkQueue(uv_loop_t* loop);
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Thread-safe. False (and `work` dropped) once the queue is closed.
  bool Post(Work work);
  // On the loop: drops what is queued, refuses later posts and closes the async handle.
  void Close();
  // Closures queued and not yet run (for tests and INFO; approximate under concurrent posts).
  size_t pending();

 private:
  static void OnWake(uv_async_t* a);
  void RunPending();

  uv_async_t async_;
  std::mutex mu_;  // guards the two below; Post sends under it so Close cannot race
  std::vector<Work> queue_;
  bool closed_ = false;
  std::vector<Work> running_;  // the loop's batch, kept to reuse its capacity
};

}  // namespace kv
