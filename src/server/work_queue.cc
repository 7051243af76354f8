#include "server/work_queue.h"

namespace kv {

WorkQueue::WorkQueue(uv_loop_t* loop) {
  uv_async_init(loop, &async_, OnWake);
  async_.data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(&async_));
}

bool WorkQueue::Post(Work work) {
  std::lock_guard lk(mu_);
  if (closed_) return false;
  const bool was_empty = queue_.empty();
  queue_.push_back(std::move(work));
  // One wake-up per batch: the loop takes the whole queue when it runs.
  if (was_empty) uv_async_send(&async_);
  return true;
}

void WorkQueue::Close() {
  std::vector<Work> dropped;
  {
    std::lock_guard lk(mu_);
    closed_ = true;
    dropped.swap(queue_);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
}

size_t WorkQueue::pending() {
  std::lock_guard lk(mu_);
  return queue_.size();
}

void WorkQueue::OnWake(uv_async_t* a) { static_cast<WorkQueue*>(a->data)->RunPending(); }

void WorkQueue::RunPending() {
  {
    std::lock_guard lk(mu_);
    running_.swap(queue_);
  }
  // Work may post more to this loop: that lands in queue_ and its wake-up runs it next turn,
  // so a closure that reposts itself cannot starve the loop's sockets.
  for (Work& w : running_) w();
  running_.clear();
}

}  // namespace kv
