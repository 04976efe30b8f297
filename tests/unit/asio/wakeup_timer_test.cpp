// io::wakeup_timer against a real io_context and the real clock, on its
// timerfd and on the steady_timer fallback. Nothing here asserts how fast
// anything is: only that a callback never runs before its deadline, runs
// once, is replaced by a re-arm, and that a cancelled or destroyed timer
// leaves no work behind (run() returns).

#include <doctest/doctest.h>

#include "asio/wakeup_timer.hpp"

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <chrono>
#include <functional>

using tern::io::wakeup_timer;
using namespace std::chrono_literals;

namespace {

tern::time_point clock_now() { return tern::from_steady(std::chrono::steady_clock::now()); }

} // namespace

TEST_CASE("wakeup_timer: fires once, never before its deadline, and leaves no work behind") {
  for (const bool timerfd : {true, false}) {
    CAPTURE(timerfd);
    asio::io_context io;
    wakeup_timer t(io.get_executor(), timerfd);
#if defined(__linux__)
    CHECK(t.uses_timerfd() == timerfd);
#else
    CHECK_FALSE(t.uses_timerfd());
#endif
    const auto deadline = clock_now() + 2ms;
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
}

TEST_CASE("wakeup_timer: a re-arm replaces deadline and callback, later, earlier and past deadlines") {
  for (const bool timerfd : {true, false}) {
    CAPTURE(timerfd);
    asio::io_context io;
    wakeup_timer t(io.get_executor(), timerfd);
    int replaced = 0, fired = 0;
    tern::time_point fired_at{};

    t.arm(clock_now() + 1ms, [&] { ++replaced; });
    const auto later = clock_now() + 4ms;
    t.arm(later, [&] {
      ++fired;
      fired_at = clock_now();
    });
    io.run();
    CHECK(fired == 1);
    CHECK(fired_at >= later); // the replaced 1 ms setting did not fire it early

    io.restart();
    t.arm(clock_now() + 30s, [&] { ++replaced; });
    t.arm(clock_now() + 1ms, [&] { ++fired; });
    io.run(); // does not wait 30 s: the first deadline is gone
    CHECK(fired == 2);

    io.restart();
    t.arm(clock_now() - 1ms, [&] { ++fired; });
    io.run();
    CHECK(fired == 3);
    CHECK(replaced == 0);
  }
}

TEST_CASE("wakeup_timer: the callback may arm again, cancel and destruction leave no work") {
  for (const bool timerfd : {true, false}) {
    CAPTURE(timerfd);
    asio::io_context io;
    int fired = 0;
    {
      wakeup_timer t(io.get_executor(), timerfd);
      std::function<void()> again = [&] {
        if (++fired < 5) t.arm(clock_now() + 200us, again);
      };
      t.arm(clock_now() + 200us, again);
      io.run();
      CHECK(fired == 5);

      io.restart();
      bool cancelled_ran = false;
      t.arm(clock_now() + 30s, [&] { cancelled_ran = true; });
      asio::post(io, [&] { t.cancel(); });
      io.run(); // returns at once: cancel() withdrew the queued wait
      CHECK_FALSE(cancelled_ran);

      io.restart();
      t.arm(clock_now() + 1ms, [&] { ++fired; }); // usable after a cancel
      io.run();
      CHECK(fired == 6);

      io.restart();
      t.arm(clock_now() + 30s, [&] { ++fired; });
    }         // destroyed with a wait queued
    io.run(); // the aborted wait completes; nothing else runs
    CHECK(fired == 6);
  }
}
