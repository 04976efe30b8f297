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

TEST_CASE("delay_bound: the cap holds until the queue is under half the threshold") {
  auto d = wrapped_new_reno();
  time_point t = time_point{} + 1s;
  d.on_ack(queued_ack(t, 200ms, 250'000));
  REQUIRE(d.cap() != 0);
  d.on_ack(queued_ack(t += 10ms, 15ms, 250'000)); // under the threshold, over half of it
  CHECK(d.cap() != 0);
  d.on_ack(queued_ack(t += 10ms, 5ms, 250'000));
  CHECK(d.cap() == 0);
}

TEST_CASE("delay_bound: the cap never goes below four datagrams") {
  auto d = wrapped_new_reno();
  d.on_ack(queued_ack(time_point{} + 1s, 300ms, 1'000));
  CHECK(d.cap() == 4 * mss);
}
