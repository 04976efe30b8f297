#include <doctest/doctest.h>

#include "congestion/drain_guard.hpp"

using namespace std::chrono_literals;
using tern::cc::drain_guard;

TEST_CASE("drain_guard: no window until the target rate is draining") {
  drain_guard g;
  CHECK(g.window() == 0);
  CHECK_FALSE(g.holds(1'000'000, 1200));
  g.update(0, 100ms, 20ms, 0);
  CHECK(g.window() == 0);
  CHECK_FALSE(g.holds(1'000'000, 1200));
}

TEST_CASE("drain_guard: while draining, the flight is held to the path's rate x (min RTT + allowed queue)") {
  drain_guard g;
  // 250 kB/s (2 Mbit/s), 100 ms min RTT, 20 ms of queue allowed: 30 kB.
  g.update(250'000, 100ms, 20ms, 100'000);
  CHECK(g.window() == 30'000);
  CHECK_FALSE(g.holds(28'800, 1200)); // exactly fills it
  CHECK(g.holds(28'801, 1200));
  CHECK(g.holds(100'000, 1200));
  // The drain ends: the guard lifts at once.
  g.update(0, 100ms, 20ms, 0);
  CHECK_FALSE(g.holds(100'000, 1200));
}

TEST_CASE("drain_guard: disabled, it never holds") {
  drain_guard g{false};
  g.update(250'000, 100ms, 20ms, 100'000);
  CHECK(g.window() == 0);
  CHECK_FALSE(g.holds(100'000, 1200));
}

TEST_CASE("drain_guard: no min RTT yet, no window") {
  drain_guard g;
  g.update(250'000, 0ms, 20ms, 100'000);
  CHECK(g.window() == 0);
}

TEST_CASE("drain_guard: lifts once the flight is down to the window, until the next drain") {
  drain_guard g;
  g.update(250'000, 100ms, 20ms, 100'000);
  CHECK(g.holds(60'000, 1200));
  // The flight came down to the window: the queue is drained.
  g.update(250'000, 100ms, 20ms, 29'000);
  CHECK(g.window() == 0);
  // Still draining by the estimator (a bulk stream keeps a queue): no hold.
  g.update(250'000, 100ms, 20ms, 200'000);
  CHECK_FALSE(g.holds(200'000, 1200));
  // The drain ends; the next one holds again.
  g.update(0, 100ms, 20ms, 200'000);
  g.update(250'000, 100ms, 20ms, 200'000);
  CHECK(g.holds(200'000, 1200));
}
