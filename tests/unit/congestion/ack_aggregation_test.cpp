#include <doctest/doctest.h>

#include "congestion/ack_aggregation.hpp"

using namespace std::chrono_literals;
using tern::time_point;
using tern::cc::ack_aggregation;

namespace {
constexpr std::uint64_t rate = 12'500'000; // 100 Mbit/s
constexpr std::uint64_t ack_bytes = 2400;  // one ACK per two 1200-byte packets
constexpr std::uint64_t no_cap = 1ULL << 40;

// ACKs of `ack_bytes` every 192 µs: exactly the estimated rate.
time_point steady(ack_aggregation& a, time_point t, int acks, std::uint64_t round, std::uint64_t cap = no_cap) {
  for (int i = 0; i < acks; ++i) {
    t += 192us;
    a.on_ack(t, ack_bytes, rate, round, cap);
  }
  return t;
}
} // namespace

TEST_CASE("ack_aggregation: ACKs at the estimated rate show no more than one ACK's data") {
  ack_aggregation a{10};
  CHECK(a.extra_acked() == 0);
  steady(a, time_point{} + 1s, 100, 1);
  CHECK(a.extra_acked() == ack_bytes);
}

TEST_CASE("ack_aggregation: a batch released after a gap is the excess") {
  ack_aggregation a{10};
  time_point t = steady(a, time_point{} + 1s, 50, 1);
  // Nothing for 10 ms, then 25 ACKs at one instant: the first finds the
  // epoch behind the rate and starts a new one; the whole batch is excess.
  t += 10ms;
  for (int i = 0; i < 25; ++i) a.on_ack(t, ack_bytes, rate, 2, no_cap);
  CHECK(a.extra_acked() == 25 * ack_bytes);
  // Spread over 1 ms at twice the rate, 20 ACKs exceed the expected 12.5 kB.
  ack_aggregation b{10};
  t = steady(b, time_point{} + 1s, 50, 1) + 10ms;
  for (int i = 0; i < 20; ++i) b.on_ack(t + 50us * i, ack_bytes, rate, 2, no_cap);
  CHECK(b.extra_acked() == 20 * ack_bytes - rate * 950 / 1'000'000);
}

TEST_CASE("ack_aggregation: the excess is capped, and forgotten after the window") {
  ack_aggregation a{10};
  time_point t = steady(a, time_point{} + 1s, 10, 1) + 10ms;
  for (int i = 0; i < 25; ++i) a.on_ack(t, ack_bytes, rate, 1, 30'000);
  CHECK(a.extra_acked() == 30'000);
  // ACKs at exactly the rate keep the batch's lead (the epoch never falls
  // behind); a pause ends the epoch. Eleven round trips later only single
  // ACKs are left in the window.
  t = steady(a, t, 10, 2, 30'000);
  CHECK(a.extra_acked() == 30'000);
  t += 10ms;
  for (std::uint64_t round = 3; round <= 14; ++round) t = steady(a, t, 10, round);
  CHECK(a.extra_acked() == ack_bytes);
}

TEST_CASE("ack_aggregation: nothing is measured without a bandwidth estimate, and reset forgets") {
  ack_aggregation a{10};
  a.on_ack(time_point{} + 1s, 100'000, 0, 1, no_cap);
  CHECK(a.extra_acked() == 0);
  a.on_ack(time_point{} + 1s, 100'000, rate, 1, no_cap);
  CHECK(a.extra_acked() == 100'000);
  a.reset();
  CHECK(a.extra_acked() == 0);
}
