#include <doctest/doctest.h>

#include "congestion/busy_ack_rate.hpp"

#include <algorithm>

using namespace std::chrono_literals;
using tern::cc::busy_ack_rate;
using tern::duration;
using tern::time_point;

namespace {
constexpr std::uint64_t packet = 1200;
/// ACKs every `gap` for one packet each, all showing `queue`, from `t`;
/// returns the time after the last and advances `delivered`.
time_point acks(busy_ack_rate& r, time_point t, duration gap, int n, duration queue, std::uint64_t& delivered) {
  for (int i = 0; i < n; ++i) {
    delivered += packet;
    r.on_ack(t, queue, delivered);
    t += gap;
  }
  return t;
}
} // namespace

TEST_CASE("busy_ack_rate: busy ACKs 4.8 ms apart read 250 kB/s once they span 15 ms") {
  busy_ack_rate r;
  std::uint64_t delivered = 0;
  time_point t = time_point{} + 1s;
  t = acks(r, t, 4800us, 3, 20ms, delivered); // span 9.6 ms: too short
  CHECK(r.rate() == 0);
  t = acks(r, t, 4800us, 2, 20ms, delivered); // span 19.2 ms
  CHECK(r.rate() == doctest::Approx(250'000).epsilon(0.01));
}

TEST_CASE("busy_ack_rate: ACKs without a queue show only what was sent, so no rate") {
  busy_ack_rate r;
  std::uint64_t delivered = 0;
  (void)acks(r, time_point{} + 1s, 1200us, 50, 1ms, delivered);
  CHECK(r.rate() == 0);
}

TEST_CASE("busy_ack_rate: one ACK without a queue ends the span") {
  busy_ack_rate r;
  std::uint64_t delivered = 0;
  time_point t = acks(r, time_point{} + 1s, 4800us, 10, 30ms, delivered);
  REQUIRE(r.rate() != 0);
  t = acks(r, t, 4800us, 1, 0ms, delivered);
  CHECK(r.rate() == 0);
  t = acks(r, t, 4800us, 2, 30ms, delivered); // a new span, 4.8 ms long
  CHECK(r.rate() == 0);
}

TEST_CASE("busy_ack_rate: a rate drop shows within the span's maximum") {
  busy_ack_rate r;
  std::uint64_t delivered = 0;
  // 1 MB/s (8 Mbit/s) busy for 200 ms, then 250 kB/s (2 Mbit/s).
  time_point t = acks(r, time_point{} + 1s, 1200us, 166, 20ms, delivered);
  CHECK(r.rate() == doctest::Approx(1'000'000).epsilon(0.02));
  t = acks(r, t, 4800us, 14, 40ms, delivered); // 67 ms of the slower rate: past span_max (60 ms)
  CHECK(r.rate() == doctest::Approx(250'000).epsilon(0.05));
}

TEST_CASE("busy_ack_rate: an ACK every 10 us keeps the ring within its capacity and the rate within 3 %") {
  busy_ack_rate r;
  std::uint64_t delivered = 0;
  time_point t = time_point{} + 1s;
  std::size_t most_held = 0;
  // 120 MB/s (one 1200-byte packet per 10 us ACK) busy for 200 ms: 20,000 ACKs.
  for (int i = 0; i < 20'000; ++i) {
    t = acks(r, t, 10us, 1, 20ms, delivered);
    most_held = std::max(most_held, r.points_held());
  }
  CHECK(most_held <= busy_ack_rate::capacity);
  CHECK(most_held >= busy_ack_rate::capacity - 2); // the span did fill the ring
  CHECK(r.rate() == doctest::Approx(120'000'000).epsilon(0.03));
  // A drop to a tenth of that still shows once the slower ACKs cover span_max.
  t = acks(r, t, 100us, 650, 40ms, delivered); // 65 ms
  CHECK(r.points_held() <= busy_ack_rate::capacity);
  CHECK(r.rate() == doctest::Approx(12'000'000).epsilon(0.03));
}
