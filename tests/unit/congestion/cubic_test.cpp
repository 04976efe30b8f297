#include <doctest/doctest.h>

#include "congestion/cubic.hpp"

#include "events.hpp"

#include <algorithm>
#include <cmath>

using namespace std::chrono_literals;
using tern::duration;
using tern::time_point;
using namespace tern::cc;
namespace ev = tern::cc::test;

namespace {

const time_point t0 = time_point{} + 1s;
constexpr std::uint64_t mss = 1200;

controller_config config() {
  controller_config c;
  c.max_datagram_size = mss;
  return c;
}

// Grows the window to `packets` datagrams in slow start and takes one loss.
cubic loaded(std::uint64_t packets, time_point& now) {
  cubic cc{config()};
  cc.on_ack(ev::ack(now, packets * mss - cc.congestion_window(), now - 100ms, 100ms));
  REQUIRE(cc.congestion_window() == packets * mss);
  now += 100ms;
  cc.on_loss(ev::loss(now, mss, now - 50ms, 1000));
  now += 100ms;
  return cc;
}

/// RFC 9438 §4.2: W_cubic(t) = C·(t − K)³ + W_max, with W_max in datagrams;
/// returned in bytes.
double w_cubic_bytes(double t, double k, double w_max_datagrams) {
  return (cubic::c * std::pow(t - k, 3) + w_max_datagrams) * static_cast<double>(mss);
}

double seconds(duration d) { return std::chrono::duration<double>(d).count(); }

} // namespace

TEST_CASE("cubic: a loss multiplies the window by 0.7 and remembers W_max") {
  time_point now = t0;
  cubic cc = loaded(100, now);
  CHECK(cc.congestion_window() == 84000); // 70 datagrams
  CHECK(cc.slow_start_threshold() == 84000);
  CHECK(cc.w_max() == 120000);
  CHECK(cc.in_recovery());
}

TEST_CASE("cubic: the window follows the cubic curve back to W_max at time K") {
  time_point now = t0;
  cubic cc = loaded(100, now);
  const duration rtt = 100ms;
  // First ACK after recovery starts the epoch: K = cbrt((100 - 70) / 0.4) s.
  const double k = std::cbrt(30.0 / 0.4);
  time_point epoch = now;
  cc.on_ack(ev::ack(now, mss, now - 1ms, rtt));
  CHECK(cc.k() == doctest::Approx(k));
  epoch = now;
  // One window acknowledged per RTT. RFC 9438 §4.3-4.5: cwnd moves to the
  // larger of the target W_cubic(t + RTT) (the whole window acknowledged
  // covers the whole step) and the Reno-friendly estimate W_est, which
  // adds α = 0.53 datagrams per window from cwnd_epoch (70) while below the
  // pre-loss window (100), then 1. So cwnd lies between max(W_cubic(t),
  // W_est) and max(W_cubic(t + RTT), W_est). The cubic term leads up to and
  // just past K, where the curve flattens and W_est (linear) overtakes it;
  // further on the convex curve leads again. Tolerance: one datagram.
  const double m = static_cast<double>(mss);
  const double alpha = 3.0 * (1.0 - cubic::beta) / (1.0 + cubic::beta);
  double w_est = 70.0 + alpha / 70.0; // datagrams, after the epoch's first ACK of one datagram
  auto on_the_curve = [&] {
    w_est += w_est >= 100.0 ? 1.0 : alpha;
    const double t = seconds(now - epoch);
    const auto cwnd = static_cast<double>(cc.congestion_window());
    CAPTURE(t);
    CAPTURE(w_est);
    CHECK(cwnd >= std::max(w_cubic_bytes(t, k, 100), w_est * m) - m);
    CHECK(cwnd <= std::max(w_cubic_bytes(t + seconds(rtt), k, 100), w_est * m) + m);
  };
  std::uint64_t previous = cc.congestion_window();
  std::uint64_t first_step = 0, last_step = 0;
  while (now - epoch < std::chrono::duration_cast<duration>(std::chrono::duration<double>(k)) - rtt) {
    now += rtt;
    cc.on_ack(ev::ack(now, cc.congestion_window(), now - rtt, rtt));
    on_the_curve();
    // Concave region: never above the window of the last loss.
    CHECK(cc.congestion_window() <= 120000 + mss);
    const std::uint64_t step = cc.congestion_window() - previous;
    if (first_step == 0) first_step = step;
    last_step = step;
    previous = cc.congestion_window();
  }
  // Concave: growth slows as the window approaches W_max...
  CHECK(last_step < first_step);
  // ...and reaches it (within a datagram) around t = K.
  CHECK(std::abs(static_cast<double>(cc.congestion_window()) - 120000.0) < 2.0 * mss);
  // Beyond K the curve turns convex and probes above W_max.
  for (int i = 0; i < 40; ++i) {
    now += rtt;
    cc.on_ack(ev::ack(now, cc.congestion_window(), now - rtt, rtt));
    on_the_curve();
  }
  // About 4 s past K: W_cubic = W_max + 0.4 * 4^3 = 125.6 datagrams (the
  // upper bound above keeps it from running ahead of the curve).
  CHECK(cc.congestion_window() > 140000);
  CHECK(cc.state_name() == "congestion_avoidance");
}

TEST_CASE("cubic: fast convergence lowers W_max when the window is still shrinking") {
  time_point now = t0;
  cubic cc = loaded(100, now);
  cc.on_ack(ev::ack(now, mss, now - 1ms, 100ms)); // leaves recovery at 70 datagrams
  now += 100ms;
  const auto before = static_cast<double>(cc.congestion_window()); // about 70 datagrams
  cc.on_loss(ev::loss(now, mss, now - 10ms, 2000));
  // Below W_max (100 datagrams): W_max = cwnd * (1 + 0.7) / 2.
  CHECK(cc.w_max() == doctest::Approx(before * 0.85));
  CHECK(cc.congestion_window() == static_cast<std::uint64_t>(before * 0.7));
}

TEST_CASE("cubic: on a short-RTT path the Reno-friendly estimate leads") {
  time_point now = t0;
  cubic cc = loaded(10, now); // W_max 10, cwnd 7 datagrams; K = 1.96 s
  const duration rtt = 5ms;
  // 200 round trips (1 s, well before K). W_cubic stays below W_max (10
  // datagrams) all along, so the window is the Reno-friendly estimate of
  // §4.3: from cwnd_epoch = 7 datagrams it adds α = 3(1 − β)/(1 + β) = 0.53
  // datagrams per window acknowledged while below the pre-loss window of
  // 10, then 1. The model, run alongside, bounds it from both sides.
  const double alpha = 3.0 * (1.0 - cubic::beta) / (1.0 + cubic::beta);
  double w_est = 7.0; // datagrams
  for (int i = 0; i < 200; ++i) {
    now += rtt;
    cc.on_ack(ev::ack(now, cc.congestion_window(), now - rtt, rtt));
    w_est += w_est >= 10.0 ? 1.0 : alpha;
    CAPTURE(i);
    // Whole bytes: the window trails the estimate by less than a datagram.
    CHECK(static_cast<double>(cc.congestion_window()) <= w_est * mss + 1.0);
    CHECK(static_cast<double>(cc.congestion_window()) > (w_est - 1.0) * mss);
  }
  // Far above where the cubic curve alone would be (below 10 datagrams).
  CHECK(cc.congestion_window() > 10 * mss * 4);
}

TEST_CASE("cubic: a spurious reduction is undone, W_max included") {
  time_point now = t0;
  cubic cc{config()};
  cc.on_ack(ev::ack(now, 108000, now - 100ms, 100ms)); // 100 datagrams
  cc.on_loss(ev::loss(now + 10ms, mss, now, 500));
  CHECK(cc.congestion_window() == 84000);
  cc.on_spurious_loss(spurious_loss_event{.now = now + 20ms, .packet_number = 500, .bytes = mss});
  CHECK(cc.congestion_window() == 120000);
  CHECK(cc.w_max() == 0);
  CHECK_FALSE(cc.in_recovery());
}

TEST_CASE("cubic: idle time does not count as time on the curve") {
  time_point now = t0;
  cubic cc = loaded(100, now);
  const duration rtt = 100ms;
  cc.on_packet_sent(ev::sent(now, 1, mss, 1000));
  cc.on_ack(ev::ack(now, mss, now - 1ms, rtt)); // epoch starts
  for (int i = 0; i < 5; ++i) {
    now += rtt;
    cc.on_packet_sent(ev::sent(now, 2u + i, mss, 1000));
    cc.on_ack(ev::ack(now, cc.congestion_window(), now - rtt, rtt));
  }
  const auto before_idle = cc.congestion_window();
  // Ten seconds idle, then the window is used again. Without the epoch
  // shift W_cubic(10.6 s) would be far above W_max.
  now += 10s;
  cc.on_packet_sent(ev::sent(now, 100, mss, 0));
  now += rtt;
  cc.on_ack(ev::ack(now, cc.congestion_window(), now - rtt, rtt));
  CHECK(cc.congestion_window() < 120000);
  CHECK(cc.congestion_window() >= before_idle);
}

TEST_CASE("cubic: pacing is 1.25 x cwnd / SRTT in congestion avoidance") {
  time_point now = t0;
  cubic cc = loaded(100, now);
  cc.on_ack(ev::ack(now, mss, now - 1ms, 100ms));
  CHECK(cc.pacing_rate() ==
        static_cast<std::uint64_t>(1.25 * static_cast<double>(cc.congestion_window()) * 10));
}
