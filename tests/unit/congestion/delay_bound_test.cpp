#include <doctest/doctest.h>

#include "congestion/delay_bound.hpp"
#include "congestion/new_reno.hpp"

#include "events.hpp"

#include <memory>

using namespace std::chrono_literals;
using namespace tern::cc;
using tern::duration;
using tern::time_point;

namespace {

constexpr std::uint64_t mss = 1200;

/// An ACK on a 100 ms path with `queue` of queueing delay and a delivery
/// rate of `rate` bytes per second.
ack_event queued_ack(time_point now, duration queue, std::uint64_t rate) {
  ack_event e = test::ack(now, mss, now - 100ms - queue, 100ms + queue);
  e.min_rtt = 100ms;
  e.sample.valid = true;
  e.sample.has_packet = true;
  e.sample.delivery_rate = rate;
  return e;
}

delay_bound wrapped_new_reno() {
  controller_config c;
  c.max_datagram_size = mss;
  c.initial_window_packets = 100; // 120 kB: far above the path's BDP below
  return delay_bound{std::make_unique<new_reno>(c), delay_bound_config{}, mss};
}

} // namespace

TEST_CASE("delay_bound: without a queue the wrapped controller's window stands") {
  auto d = wrapped_new_reno();
  const std::uint64_t before = d.inner().congestion_window();
  d.on_ack(queued_ack(time_point{} + 1s, 10ms, 250'000));
  CHECK(d.cap() == 0);
  CHECK(d.congestion_window() == d.inner().congestion_window());
  CHECK(d.congestion_window() >= before);
}

TEST_CASE("delay_bound: a standing queue caps the window at delivery rate x (min RTT + half the threshold)") {
  auto d = wrapped_new_reno();
  // Threshold: 10 ms + 10 ms. A 200 ms queue at 250 kB/s.
  d.on_ack(queued_ack(time_point{} + 1s, 200ms, 250'000));
  const auto expected = static_cast<std::uint64_t>(250'000 * 0.110);
  CHECK(d.cap() == expected);
  CHECK(d.congestion_window() == expected);
  CHECK(d.inner().congestion_window() > expected);
  CHECK(d.bandwidth_estimate() <= 250'000);
}

TEST_CASE("delay_bound: the cap holds while a queue shows, grows while the bottleneck idles, then lifts") {
  auto d = wrapped_new_reno();
  time_point t = time_point{} + 1s;
  d.on_ack(queued_ack(t, 200ms, 250'000));
  const std::uint64_t cap = d.cap();
  REQUIRE(cap != 0);
  d.on_ack(queued_ack(t += 10ms, 15ms, 250'000)); // a queue still: unchanged
  CHECK(d.cap() == cap);
  d.on_ack(queued_ack(t += 100ms, 1ms, 250'000)); // idle for one min RTT: x1.25
  CHECK(d.cap() == doctest::Approx(1.25 * static_cast<double>(cap)).epsilon(0.01));
  int acks = 0;
  while (d.cap() != 0 && acks < 100) {
    d.on_ack(queued_ack(t += 100ms, 1ms, 250'000));
    ++acks;
  }
  CHECK(d.cap() == 0); // past the wrapped window (120 kB): lifted
  CHECK(acks <= 8);    // 27.5 kB x 1.25^7 > 120 kB
}

TEST_CASE("delay_bound: the cap never goes below four datagrams") {
  auto d = wrapped_new_reno();
  d.on_ack(queued_ack(time_point{} + 1s, 300ms, 1'000));
  CHECK(d.cap() == 4 * mss);
}

namespace {
/// One packet's ACK at `now` on a 100 ms path whose packet queued `queue`,
/// with `in_flight` after it and `delivered` in all; no delivery-rate sample
/// (the fast cut reads the ACK clock, not the samples).
ack_event clocked_ack(time_point now, duration queue, std::uint64_t delivered, std::uint64_t in_flight) {
  ack_event e = test::ack(now, mss, now - 100ms - queue, 100ms + queue, in_flight);
  e.min_rtt = 100ms;
  e.delivered = delivered;
  return e;
}

/// Ten ACKs 4.8 ms apart (250 kB/s) each showing a 30 ms queue with 70 kB
/// in flight: `d` ends capped at 250 kB/s. Advances `t` and `delivered`.
void cap_at_250k(delay_bound& d, time_point& t, std::uint64_t& delivered) {
  for (int i = 0; i < 10; ++i) {
    delivered += mss;
    d.on_ack(clocked_ack(t, 30ms, delivered, 70'000));
    t += 4800us;
  }
}
} // namespace

TEST_CASE("delay_bound: a path slowing under a full pipe is cut within 20 ms of ACKs showing it") {
  // 8 Mbit/s -> 2 Mbit/s: ACKs 4.8 ms apart with a queue growing by 3.4 ms
  // per ACK (the sender still sends 5.4 Mbit/s), 70 kB in flight.
  auto d = wrapped_new_reno();
  time_point t = time_point{} + 1s;
  std::uint64_t delivered = 1'000'000;
  duration queue = 0ms;
  int acks = 0;
  while (d.cap() == 0 && acks < 40) {
    delivered += mss;
    queue += 3400us;
    d.on_ack(clocked_ack(t, queue, delivered, 70'000));
    t += 4800us;
    ++acks;
  }
  INFO("cut after " << acks << " ACKs, queue " << std::chrono::duration<double, std::milli>(queue).count() << " ms");
  REQUIRE(d.cap() != 0);
  CHECK(d.capped_rate() == doctest::Approx(250'000).epsilon(0.03));
  CHECK(acks <= 8); // ~21 ms of queue, the threshold (20 ms), plus the 15 ms span
  // 250 kB/s x (100 ms + 10 ms)
  CHECK(d.cap() == doctest::Approx(250'000 * 0.110).epsilon(0.03));
  CHECK(d.bandwidth_estimate() == doctest::Approx(250'000).epsilon(0.03));
}

TEST_CASE("delay_bound: an I-frame burst at the path's rate is not cut") {
  // 91 kB at 1 MB/s: ACKs 1.2 ms apart, the queue up to 25 ms, but what is in
  // flight never exceeds the path's BDP plus half the threshold (110 kB).
  auto d = wrapped_new_reno();
  time_point t = time_point{} + 1s;
  std::uint64_t delivered = 1'000'000;
  for (int i = 0; i < 76; ++i) {
    delivered += mss;
    d.on_ack(clocked_ack(t, std::chrono::microseconds(330 * i), delivered, 91'000 - 1200 * static_cast<std::uint64_t>(i)));
    t += 1200us;
  }
  CHECK(d.cap() == 0);
}

TEST_CASE("delay_bound: while capped, busy ACKs set the cap from the path's rate, both ways") {
  // Bulk data filling the window over a path of 250 kB/s, then 500 kB/s.
  auto d = wrapped_new_reno();
  time_point t = time_point{} + 1s;
  std::uint64_t delivered = 1'000'000;
  cap_at_250k(d, t, delivered);
  REQUIRE(d.cap() != 0);
  CHECK(d.capped_rate() == doctest::Approx(250'000).epsilon(0.03));
  for (int i = 0; i < 40; ++i) { // 96 ms of ACKs twice as fast, a small queue
    delivered += mss;
    d.on_ack(clocked_ack(t, 8ms, delivered, 30'000));
    t += 2400us;
  }
  CHECK(d.capped_rate() == doctest::Approx(500'000).epsilon(0.03));
  CHECK(d.cap() == doctest::Approx(500'000 * 0.110).epsilon(0.03));
}

TEST_CASE("delay_bound: while capped, pacing is held to the path's rate") {
  auto d = wrapped_new_reno();
  time_point t = time_point{} + 1s;
  std::uint64_t delivered = 1'000'000;
  cap_at_250k(d, t, delivered);
  REQUIRE(d.cap() != 0);
  CHECK(d.pacing_rate() <= d.capped_rate());
  CHECK(d.pacing_rate() <= d.inner().pacing_rate());
}

TEST_CASE("delay_bound: ACKs of a sender short of data never lower the cap") {
  // Capped at 250 kB/s; then ACKs spaced by the sender's own low rate with
  // a packet's serialization read as a queue (5 ms): they time the sender.
  auto d = wrapped_new_reno();
  time_point t = time_point{} + 1s;
  std::uint64_t delivered = 1'000'000;
  cap_at_250k(d, t, delivered);
  REQUIRE(d.capped_rate() == doctest::Approx(250'000).epsilon(0.03));
  const std::uint64_t cap = d.cap();
  for (int i = 0; i < 20; ++i) {
    delivered += mss;
    ack_event e = clocked_ack(t, 5ms, delivered, 4'000);
    e.sample.valid = true;
    e.sample.is_app_limited = true;
    e.sample.delivery_rate = 50'000;
    d.on_ack(e);
    t += 24ms; // 50 kB/s
  }
  CHECK(d.cap() == cap);
  CHECK(d.capped_rate() == doctest::Approx(250'000).epsilon(0.03));
}
