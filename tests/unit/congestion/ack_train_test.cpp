#include <doctest/doctest.h>

#include "congestion/ack_train.hpp"

#include <limits>

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

TEST_CASE("ack_train: the gap ratio tells an evenly spaced train from a batched one") {
  const time_point t0 = time_point{} + 1s;
  ack_train even;
  for (int i = 0; i < 5; ++i) even.on_ack(t0 + 192us * i, 2400);
  CHECK(even.gap_ratio() == doctest::Approx(1.0));

  // Two batches 2 ms apart: gaps of 0 inside a batch.
  ack_train batched;
  for (int i = 0; i < 5; ++i) batched.on_ack(t0 + (i < 3 ? 0ms : 2ms), 2400);
  CHECK(batched.gap_ratio() == std::numeric_limits<double>::infinity());

  // Nearly batched: 1 µs inside a batch, 2 ms between.
  ack_train clustered;
  for (int i = 0; i < 5; ++i) clustered.on_ack(t0 + (i < 3 ? 1us * i : 2ms + 1us * i), 2400);
  CHECK(clustered.gap_ratio() > 1000);

  ack_train two;
  two.on_ack(t0, 2400);
  two.on_ack(t0 + 1ms, 2400);
  CHECK(two.gap_ratio() == 1.0);
}
