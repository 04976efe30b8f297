#include <doctest/doctest.h>

#include "asio/timer_slack.hpp"

using namespace std::chrono_literals;
using tern::never;
using tern::time_point;
using tern::detail::timer_needs_moving;
using tern::detail::timer_slack;

TEST_CASE("timer_needs_moving: an idle timer is armed for any deadline, never for none") {
  const time_point t{10ms};
  CHECK(timer_needs_moving(t, never));
  CHECK_FALSE(timer_needs_moving(never, never));
}

TEST_CASE("timer_needs_moving: later or barely earlier deadlines keep the armed timer") {
  const time_point armed{10ms};
  CHECK_FALSE(timer_needs_moving(armed, armed));
  CHECK_FALSE(timer_needs_moving(armed + 1ms, armed));
  CHECK_FALSE(timer_needs_moving(never, armed));
  CHECK_FALSE(timer_needs_moving(armed - timer_slack, armed));
  CHECK_FALSE(timer_needs_moving(armed - timer_slack + 1ns, armed));
}

TEST_CASE("timer_needs_moving: a deadline more than the slack earlier moves the timer") {
  const time_point armed{10ms};
  CHECK(timer_needs_moving(armed - timer_slack - 1ns, armed));
  CHECK(timer_needs_moving(armed - 1ms, armed));
  CHECK(timer_needs_moving(time_point{}, armed));
}
