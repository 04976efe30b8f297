#include <doctest/doctest.h>

#include "congestion/delivery_rate_sampler.hpp"

#include <deque>

using namespace std::chrono_literals;
using tern::duration;
using tern::time_point;
using tern::cc::delivery_rate_sampler;
using tern::cc::packet_send_state;

namespace {

const time_point t0 = time_point{} + 1s;

struct in_flight_packet {
  packet_send_state state;
  time_point sent;
  std::uint64_t bytes;
};

} // namespace

TEST_CASE("delivery_rate_sampler: steady 1 MB/s flow yields 1 MB/s samples") {
  // One 1000-byte packet per millisecond, each acknowledged 50 ms later.
  delivery_rate_sampler s;
  std::deque<in_flight_packet> flight;
  std::uint64_t in_flight = 0;
  tern::cc::rate_sample last{};
  for (int ms = 0; ms < 300; ++ms) {
    const time_point now = t0 + std::chrono::milliseconds(ms);
    while (!flight.empty() && flight.front().sent + 50ms <= now) {
      s.on_packet_acked(flight.front().state, flight.front().sent, flight.front().bytes, now);
      in_flight -= flight.front().bytes;
      flight.pop_front();
      last = s.take_sample(50ms);
    }
    flight.push_back({s.on_packet_sent(now, in_flight, 1000), now, 1000});
    in_flight += 1000;
  }
  REQUIRE(last.valid);
  CHECK(last.delivery_rate == 1'000'000);
  CHECK(last.rtt == 50ms);
  CHECK(last.interval >= 50ms);
  CHECK_FALSE(last.is_app_limited);
  CHECK(s.delivered() == 250u * 1000u);
}

TEST_CASE("delivery_rate_sampler: a compressed ACK burst does not inflate the rate") {
  // Ten packets sent over 10 ms, all acknowledged at the same instant 60 ms
  // after the first: the send interval (10 ms) is shorter than the ACK
  // interval (60 ms), and the longer one is used.
  delivery_rate_sampler s;
  std::deque<in_flight_packet> flight;
  std::uint64_t in_flight = 0;
  for (int i = 0; i < 10; ++i) {
    const time_point now = t0 + std::chrono::milliseconds(i);
    flight.push_back({s.on_packet_sent(now, in_flight, 1000), now, 1000});
    in_flight += 1000;
  }
  const time_point ack_time = t0 + 60ms;
  for (const auto& p : flight) s.on_packet_acked(p.state, p.sent, p.bytes, ack_time);
  const auto sample = s.take_sample(50ms);
  REQUIRE(sample.valid);
  CHECK(sample.delivered == 10'000);
  CHECK(sample.interval == 60ms);
  CHECK(sample.delivery_rate == 166'666);
  CHECK(sample.rtt == 51ms); // the most recently sent packet gives the RTT
}

TEST_CASE("delivery_rate_sampler: an interval shorter than min RTT gives no valid sample") {
  delivery_rate_sampler s;
  const auto state = s.on_packet_sent(t0, 0, 1000);
  s.on_packet_acked(state, t0, 1000, t0 + 10ms);
  const auto sample = s.take_sample(20ms);
  CHECK(sample.has_packet);
  CHECK_FALSE(sample.valid);
  CHECK(sample.delivered == 1000);
}

TEST_CASE(
    "delivery_rate_sampler: samples are app-limited until the data in flight at the mark is delivered") {
  delivery_rate_sampler s;
  const auto a = s.on_packet_sent(t0, 0, 1000);
  s.on_app_limited(1000); // nothing more to send; 1000 in flight
  const auto b = s.on_packet_sent(t0 + 1ms, 1000, 1000);
  CHECK(b.is_app_limited);
  CHECK_FALSE(a.is_app_limited);
  s.on_packet_acked(a, t0, 1000, t0 + 50ms);
  CHECK_FALSE(s.take_sample(0ms).is_app_limited);
  CHECK(s.app_limited()); // delivered 1000, mark at 1000: not yet past it
  s.on_packet_acked(b, t0 + 1ms, 1000, t0 + 51ms);
  CHECK(s.take_sample(0ms).is_app_limited);
  CHECK_FALSE(s.app_limited());
}

TEST_CASE("delivery_rate_sampler: lost bytes over the interval are reported") {
  delivery_rate_sampler s;
  const auto a = s.on_packet_sent(t0, 0, 1000);
  const auto b = s.on_packet_sent(t0 + 1ms, 1000, 1000);
  (void)b;
  s.on_packet_lost(1000); // b lost
  const auto c = s.on_packet_sent(t0 + 2ms, 1000, 1000);
  CHECK(c.lost == 1000);
  s.on_packet_acked(a, t0, 1000, t0 + 50ms);
  CHECK(s.take_sample(0ms).lost == 1000);
  s.on_packet_acked(c, t0 + 2ms, 1000, t0 + 52ms);
  CHECK(s.take_sample(0ms).lost == 0);
}
