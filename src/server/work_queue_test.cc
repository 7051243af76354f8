#include "server/work_queue.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace kv {

TEST_CASE("work queue: closures from several threads run on the loop, each thread's in order") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  WorkQueue q(&loop);
  // Keeps the loop running until the last closure stops it.
  uv_async_t keep;
  uv_async_init(&loop, &keep, nullptr);

  constexpr int kThreads = 4, kEach = 2000;
  std::vector<std::vector<int>> seen(kThreads);  // touched on the loop thread only
  std::thread::id loop_thread;
  bool ran_elsewhere = false;
  int done = 0;
  std::thread runner([&] {
    loop_thread = std::this_thread::get_id();
    uv_run(&loop, UV_RUN_DEFAULT);
  });
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t)
    posters.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i)
        CHECK(q.Post([&, t, i] {
          if (std::this_thread::get_id() != loop_thread) ran_elsewhere = true;
          seen[t].push_back(i);
          if (i == kEach - 1 && ++done == kThreads) {
            q.Close();
            uv_close(reinterpret_cast<uv_handle_t*>(&keep), nullptr);
          }
        }));
    });
  for (auto& p : posters) p.join();
  runner.join();
  CHECK_FALSE(ran_elsewhere);
  for (int t = 0; t < kThreads; ++t) {
    REQUIRE(seen[t].size() == static_cast<size_t>(kEach));
    for (int i = 0; i < kEach; ++i) CHECK(seen[t][i] == i);
  }
  // Closed: nothing more is accepted.
  CHECK_FALSE(q.Post([] {}));
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("work queue: work posted by running work runs on a later turn") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  WorkQueue q(&loop);
  uv_async_t keep;
  uv_async_init(&loop, &keep, nullptr);
  std::vector<int> order;
  q.Post([&] {
    order.push_back(1);
    q.Post([&] {
      order.push_back(3);
      q.Close();
      uv_close(reinterpret_cast<uv_handle_t*>(&keep), nullptr);
    });
    order.push_back(2);
  });
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(order == std::vector<int>{1, 2, 3});
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("work queue: closing drops queued work without running it") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  WorkQueue q(&loop);
  bool ran = false;
  CHECK(q.Post([&] { ran = true; }));
  CHECK(q.pending() == 1);
  q.Close();
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK_FALSE(ran);
  CHECK(q.pending() == 0);
  CHECK(uv_loop_close(&loop) == 0);
}

}  // namespace kv
