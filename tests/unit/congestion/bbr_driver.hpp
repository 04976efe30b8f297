#pragma once

// Hand-made ACK sequences for BBR's unit tests: a driver that feeds one ACK
// per round trip, and a BBR already cruising in ProbeBW.

#include "congestion/bbr.hpp"

#include "support/seed.hpp"

#include <doctest/doctest.h>

#include <algorithm>

namespace tern::cc::bbr_testing {

using namespace std::chrono_literals;
using tern::duration;
using tern::time_point;

constexpr std::uint64_t mss = 1200;

inline controller_config config() {
  controller_config c;
  c.max_datagram_size = mss;
  return c;
}

// The first ACK of a connection: one 1200-byte packet after a 200 ms round
// trip, with an RTT sample but no valid delivery-rate sample yet.
inline ack_event first_ack() {
  ack_event e;
  e.now = time_point{} + 1s;
  e.bytes_acked = 1200;
  e.smoothed_rtt = e.latest_rtt = e.min_rtt = 200ms;
  e.delivered = 1200;
  e.largest_acked_sent_time = e.now - 200ms;
  e.sample.has_packet = true;
  e.sample.rtt = 200ms;
  return e;
}

// Feeds BBR hand-made ACK events. Each call to round() is one ACK that
// completes a round trip, carrying a valid delivery-rate sample.
struct driver {
  bbr& cc;
  time_point now = time_point{} + 1s;
  std::uint64_t delivered = 0;
  /// Marks every sample application-limited (a media sender's ACKs).
  bool app_limited = false;

  ack_event make(std::uint64_t rate, duration rtt, std::uint64_t in_flight, std::uint64_t acked) {
    ack_event e;
    e.now = now;
    e.bytes_acked = acked;
    // In flight around this ACK; the tests treat before and after alike.
    e.prior_in_flight = in_flight;
    e.bytes_in_flight = in_flight;
    e.largest_acked_sent_time = now - rtt;
    e.latest_rtt = e.smoothed_rtt = e.min_rtt = rtt;
    e.sample.has_packet = true;
    e.sample.valid = true;
    e.sample.delivery_rate = rate;
    e.sample.prior_delivered = delivered; // every ACK here starts a round
    e.sample.rtt = rtt;
    e.sample.interval = rtt;
    e.sample.is_app_limited = app_limited;
    delivered += acked;
    e.delivered = delivered;
    e.sample.delivered = acked;
    return e;
  }

  void round(std::uint64_t rate, duration rtt, std::uint64_t in_flight, duration step) {
    now += step;
    const auto acked = std::max<std::uint64_t>(
        static_cast<std::uint64_t>(static_cast<double>(rate) * 1e-9 * static_cast<double>(rtt.count())), mss);
    cc.on_ack(make(rate, rtt, in_flight, acked));
  }
  void round(std::uint64_t rate, duration rtt, std::uint64_t in_flight) { round(rate, rtt, in_flight, rtt); }

  // An ACK of one packet with an RTT sample but no delivery rate yet (the
  // start of a connection).
  void rtt_only(duration rtt, bool overtook = false) {
    auto e = make(0, rtt, 0, mss);
    e.sample.valid = false;
    e.newest_acked_overtook = overtook;
    cc.on_ack(e);
  }
};

// The driver acknowledges a whole round trip's data in one ACK, which is
// itself ACK aggregation: tests of other window rules turn the extra_acked
// headroom off.
inline bbr_config without_aggregation_headroom(bbr_config tuning = {}) {
  tuning.extra_acked_gain = 0;
  return tuning;
}

// The driver's round trips are one ACK each: the min-RTT filter takes each
// round's sample (the default waits for eight samples, over several rounds).
inline bbr_config one_ack_rounds(bbr_config tuning = {}) {
  tuning.min_rtt_round_samples = 1;
  return tuning;
}

// A BBR that went through Startup and Drain at 10 MB/s, 100 ms: BDP 1 MB.
struct probing {
  tern::random_source rng{tern::test::seed()};
  bbr cc;
  driver d{cc};
  explicit probing(const bbr_config& tuning = {}) : cc{config(), one_ack_rounds(tuning), rng} {
    for (std::uint64_t rate : {1'000'000ULL, 2'500'000ULL, 5'000'000ULL, 10'000'000ULL})
      d.round(rate, 100ms, 0);
    for (int i = 0; i < 3; ++i) d.round(10'000'000, 100ms, 2'000'000);
    REQUIRE(cc.current_mode() == bbr::mode::drain);
    d.round(10'000'000, 100ms, 900'000);
    REQUIRE(cc.current_mode() == bbr::mode::probe_bw);
  }
  // Cruises to the start of the next up-phase (gain 1.25).
  void to_probe_up() {
    for (int i = 0; i < 16 && cc.cycle_index() != 0; ++i) d.round(10'000'000, 100ms, 1'000'000, 101ms);
    REQUIRE(cc.cycle_index() == 0);
  }
  // `bytes` of packets sent 50 ms ago are declared lost.
  void lose(std::uint64_t bytes) {
    cc.on_loss(loss_event{.now = d.now,
                          .bytes_lost = bytes,
                          .packets_lost = bytes / mss,
                          .largest_lost_sent_time = d.now - 50ms,
                          .bytes_in_flight = 1'000'000});
  }
};

} // namespace tern::cc::bbr_testing
