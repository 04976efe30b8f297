// io::wakeup_timer against a real io_context and the real clock. Nothing
// here asserts how fast anything is: only that a callback never runs before
// its deadline, runs once, is replaced by a re-arm, and that a cancelled or
// destroyed timer leaves no work behind (run() returns).

#include <doctest/doctest.h>

#include "asio/wakeup_timer.hpp"

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <chrono>
#include <memory>

using tern::io::wakeup_timer;

namespace {

tern::time_point clock_now() { return tern::from_steady(std::chrono::steady_clock::now()); }

} // namespace

TEST_CASE("wakeup_timer: fires once, never before its deadline, and leaves no work behind") {
  asio::io_context io;
  wakeup_timer t(io.get_executor());
#if defined(__linux__)
  CHECK(t.uses_timerfd());
#endif
  const auto deadline = clock_now() + std::chrono::milliseconds(2);
  int fired = 0;
  tern::time_point fired_at{};
  t.arm(deadline, [&] {
    ++fired;
    fired_at = clock_now();
  });
  io.run(); // returns only once no wait is queued
  CHECK(fired == 1);
  CHECK(fired_at >= deadline);
}

TEST_CASE("wakeup_timer: a re-arm replaces deadline and callback; earlier, later and past deadlines") {
  asio::io_context io;
  wakeup_timer t(io.get_executor());
  int first = 0, second = 0;
  tern::time_point second_at{};
  SUBCASE("later") {
    t.arm(clock_now() + std::chrono::milliseconds(1), [&] { ++first; });
    const auto later = clock_now() + std::chrono::milliseconds(4);
    t.arm(later, [&] {
      ++second;
      second_at = clock_now();
    });
    io.run();
    CHECK(second_at >= later);
  }
  SUBCASE("earlier") {
    t.arm(clock_now() + std::chrono::seconds(30), [&] { ++first; });
    t.arm(clock_now() + std::chrono::milliseconds(1), [&] { ++second; });
    io.run(); // must not wait 30 s: the first deadline is gone
  }
  SUBCASE("already past") {
    t.arm(clock_now() - std::chrono::milliseconds(1), [&] { ++second; });
    io.run();
  }
  CHECK(first == 0);
  CHECK(second == 1);
}

TEST_CASE("wakeup_timer: the callback may arm again; cancel and destruction leave no work") {
  asio::io_context io;
  int fired = 0;
  {
    wakeup_timer t(io.get_executor());
    std::function<void()> again = [&] {
      if (++fired < 5) t.arm(clock_now() + std::chrono::microseconds(200), again);
    };
    t.arm(clock_now() + std::chrono::microseconds(200), again);
    io.run();
    CHECK(fired == 5);

    io.restart();
    bool cancelled_ran = false;
    t.arm(clock_now() + std::chrono::seconds(30), [&] { cancelled_ran = true; });
    asio::post(io, [&] { t.cancel(); });
    io.run(); // returns at once: cancel() withdrew the queued wait
    CHECK_FALSE(cancelled_ran);

    io.restart();
    t.arm(clock_now() + std::chrono::milliseconds(1), [&] { ++fired; }); // usable after cancel
    io.run();
    CHECK(fired == 6);

    io.restart();
    t.arm(clock_now() + std::chrono::seconds(30), [&] { ++fired; });
  } // destroyed with a wait queued
  io.run(); // the aborted wait completes; nothing else runs
  CHECK(fired == 6);
}
