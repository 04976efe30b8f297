#include <doctest/doctest.h>

#include "congestion/ack_train.hpp"

using namespace std::chrono_literals;
using tern::time_point;
using tern::cc::ack_train;

TEST_CASE("ack_train: the rate is the bytes after the first ACK over the time since it") {
  ack_train t;
  const time_point t0 = time_point{} + 1s;
  t.on_ack(t0, 2400); // only starts the clock
  CHECK_FALSE(t.rate().has_value());
  t.on_ack(t0 + 192us, 2400);
  t.on_ack(t0 + 384us, 2400);
  CHECK(t.acks() == 3);
  CHECK(t.span() == 384us);
  CHECK(t.bytes_after_first() == 4800);
  REQUIRE(t.rate().has_value());
  CHECK(*t.rate() == 12'500'000);
}

TEST_CASE("ack_train: no rate from too few ACKs or from ACKs at one instant") {
  ack_train t;
  const time_point t0 = time_point{} + 1s;
  t.on_ack(t0, 2400);
  t.on_ack(t0 + 1ms, 2400);
  CHECK(t.rate().has_value());
  CHECK_FALSE(t.rate(3).has_value());

  ack_train compressed;
  for (int i = 0; i < 5; ++i) compressed.on_ack(t0, 2400);
  CHECK(compressed.span() == 0ns);
  CHECK_FALSE(compressed.rate().has_value());
}
