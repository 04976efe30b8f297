#include <doctest/doctest.h>

#include "congestion/target_rate.hpp"

#include <algorithm>
#include <chrono>

using namespace std::chrono_literals;
using tern::duration;
using tern::time_point;
using tern::cc::target_rate_config;
using tern::cc::target_rate_estimator;
using tern::cc::target_rate_sample;

namespace {

constexpr time_point t0 = time_point{} + 10s;

/// An ACK at `at` showing `rate` delivered, `queue` of queueing delay on a
/// 100 ms path, and the controller estimating `estimate`.
target_rate_sample ack(time_point at, std::uint64_t rate, duration queue, std::uint64_t estimate = 0) {
  target_rate_sample s;
  s.now = at;
  s.bandwidth_estimate = estimate == 0 ? rate : estimate;
  s.delivery.delivery_rate = rate;
  s.delivery.valid = true;
  s.delivery.has_packet = true;
  s.min_rtt = 100ms;
  s.latest_rtt = 100ms + queue;
  s.smoothed_rtt = 100ms + queue;
  s.bytes_acked = 2400;
  return s;
}

/// Feeds ACKs every 10 ms from `from` for `length`, all alike.
time_point feed(target_rate_estimator& e, time_point from, duration length, std::uint64_t rate, duration queue,
                std::uint64_t estimate = 0) {
  time_point t = from;
  for (; t < from + length; t += 10ms) e.on_ack(ack(t, rate, queue, estimate));
  return t;
}

} // namespace

TEST_CASE("target_rate: zero before anything was measured, then what the path showed less the headroom") {
  target_rate_estimator e;
  CHECK(e.target() == 0);
  e.on_ack(ack(t0, 1'000'000, 0ms, 2'000'000));
  // min(estimate, 1.1 × delivered) = 1.1 MB/s, less 5 %.
  CHECK(e.target() == doctest::Approx(1'045'000).epsilon(0.001));
}

TEST_CASE("target_rate: a standing queue cuts the target to the delivered rate less the headroom") {
  target_rate_estimator e;
  const time_point t = feed(e, t0, 1s, 1'000'000, 0ms);
  REQUIRE(e.target() > 1'000'000);
  // The path halves: the ACKs show 500 kB/s delivered and a 30 ms queue
  // (threshold 10 ms + 10 ms; the excess 10 ms drains at factor 1 -
  // 10/250). The queue stands once it lasted a window (1.5 min RTTs).
  const time_point during = feed(e, t, 100ms, 500'000, 30ms, 1'000'000);
  CHECK_FALSE(e.queueing());
  feed(e, during, 100ms, 500'000, 30ms, 1'000'000);
  CHECK(e.queueing());
  CHECK(e.target() == doctest::Approx(500'000 * 0.95 * (1 - 0.010 / 0.25)).epsilon(0.01));
}

TEST_CASE("target_rate: a burst's queue that drains within the window is no standing queue") {
  target_rate_estimator e;
  time_point t = feed(e, t0, 1s, 1'000'000, 0ms);
  const auto before = e.target();
  // An I-frame: 120 ms of its own queue, then the queue empties, once a second.
  for (int i = 0; i < 5; ++i) {
    t = feed(e, t, 120ms, 1'000'000, 120ms);
    t = feed(e, t, 880ms, 1'000'000, 0ms);
  }
  CHECK(e.target() >= before);
}

TEST_CASE("target_rate: jitter under the threshold is no queue") {
  target_rate_estimator e;
  const time_point t = feed(e, t0, 1s, 1'000'000, 0ms);
  const auto before = e.target();
  // RTTs 0 to 40 ms above the minimum in turn: the window's lowest is the
  // path's, whatever the mean.
  time_point u = t;
  for (int i = 0; i < 100; ++i, u += 10ms) e.on_ack(ack(u, 1'000'000, (i % 5) * 10ms));
  CHECK_FALSE(e.queueing());
  CHECK(e.target() >= before);
}

TEST_CASE("target_rate: the deeper the queue the deeper the cut, down to a quarter of the delivered rate") {
  target_rate_config c;
  target_rate_estimator shallow{c}, deep{c}, deepest{c};
  for (auto* e : {&shallow, &deep, &deepest}) feed(*e, t0, 1s, 1'000'000, 0ms);
  feed(shallow, t0 + 1s, 300ms, 1'000'000, 50ms);
  feed(deep, t0 + 1s, 300ms, 1'000'000, 150ms);
  feed(deepest, t0 + 1s, 300ms, 1'000'000, 2s);
  CHECK(shallow.target() > deep.target());
  CHECK(deep.target() > deepest.target());
  CHECK(deepest.target() == doctest::Approx(1'000'000 * 0.95 * 0.25).epsilon(0.001));
}

TEST_CASE("target_rate: rises at most doubling per second, and not within a round trip of a cut") {
  target_rate_estimator e;
  time_point t = feed(e, t0, 1s, 1'000'000, 0ms);
  // A queue at 250 kB/s: the target falls below it.
  t = feed(e, t, 200ms, 250'000, 200ms);
  const auto low = e.target();
  REQUIRE(low < 250'000);
  // The queue is gone and the path delivers 4 MB/s: just after the cut the
  // target holds; a second later it has at most doubled.
  e.on_ack(ack(t, 4'000'000, 0ms));
  CHECK(e.target() == low);
  t = feed(e, t + 10ms, 1s, 4'000'000, 0ms);
  CHECK(e.target() > low);
  CHECK(e.target() <= 2 * low + 1);
}

TEST_CASE("target_rate: without a queue the target reaches 1.25 x the delivered rate, 1.1 x near the last cut's") {
  target_rate_estimator e;
  time_point t = feed(e, t0, 5s, 1'000'000, 0ms);
  CHECK(e.target() == doctest::Approx(1'000'000 * 1.25 * 0.95).epsilon(0.001));
  // A cut measures 1 MB/s; the queue drains and the encoder keeps sending
  // what the path delivers: the target approaches that capacity gently.
  t = feed(e, t, 300ms, 1'000'000, 100ms);
  t = feed(e, t, 5s, 1'000'000, 0ms);
  CHECK(e.target() == doctest::Approx(1'000'000 * 1.1 * 0.95).epsilon(0.001));
  // The path delivers more than 1.1 x that capacity: fast again.
  feed(e, t, 5s, 1'200'000, 0ms);
  CHECK(e.target() == doctest::Approx(1'200'000 * 1.25 * 0.95).epsilon(0.001));
}

TEST_CASE("target_rate: a quiet encoder does not lower the target") {
  target_rate_estimator e;
  time_point t = feed(e, t0, 5s, 1'000'000, 0ms);
  const auto before = e.target();
  feed(e, t, 5s, 100'000, 0ms, 1'000'000);
  CHECK(e.target() == before);
}

TEST_CASE("target_rate: lost bytes widen the headroom") {
  target_rate_estimator e;
  time_point t = feed(e, t0, 2s, 1'000'000, 0ms);
  CHECK(e.headroom() == doctest::Approx(0.05));
  // One byte in ten lost from here on.
  for (int i = 0; i < 400; ++i, t += 10ms) {
    e.on_ack(ack(t, 1'000'000, 0ms));
    e.on_loss(t, 2400 / 9, false);
  }
  CHECK(e.loss_rate() == doctest::Approx(0.1).epsilon(0.05));
  CHECK(e.headroom() == doctest::Approx(0.15).epsilon(0.05));
  feed(e, t, 300ms, 1'000'000, 300ms);
  CHECK(e.target() < 1'000'000 * 0.86);
}

TEST_CASE("target_rate: persistent congestion halves the target") {
  target_rate_estimator e;
  const time_point t = feed(e, t0, 2s, 1'000'000, 0ms);
  const auto before = e.target();
  e.on_loss(t, 12'000, true);
  CHECK(e.target() == before / 2);
}

// A fluid model of one bottleneck: the encoder sends at the target, the
// queue grows by what exceeds the capacity, the RTT by the queue, and the
// delivery rate is the capacity while a queue stands. The estimator follows
// a step down to a quarter within a second and back within three.
TEST_CASE("target_rate: follows a rate step down and back up on a fluid bottleneck") {
  target_rate_estimator e;
  const double high = 1'000'000, low = 250'000;
  const duration base_rtt = 100ms, step = 10ms;
  double queue_bytes = 0;
  double srtt = 0.1;
  duration drop_followed{-1}, recovery_followed{-1};
  double steady_high = 0;
  time_point t = t0;
  for (int i = 0; i < 3000; ++i, t += step) { // 30 s: 10 s each at high, low, high
    const double capacity = i < 1000 || i >= 2000 ? high : low;
    const double send = e.target() == 0 ? 100'000 : static_cast<double>(e.target());
    const double dt = std::chrono::duration<double>(step).count();
    queue_bytes = std::max(0.0, queue_bytes + (send - capacity) * dt);
    const double delivered = queue_bytes > 0 ? capacity : std::min(send, capacity);
    const double rtt = 0.1 + queue_bytes / capacity;
    srtt += (rtt - srtt) / 8;
    target_rate_sample s;
    s.now = t;
    s.bandwidth_estimate = static_cast<std::uint64_t>(high); // a stale controller estimate
    s.delivery.delivery_rate = static_cast<std::uint64_t>(delivered);
    s.delivery.valid = true;
    s.delivery.has_packet = true;
    s.min_rtt = base_rtt;
    s.latest_rtt = std::chrono::duration_cast<duration>(std::chrono::duration<double>(rtt));
    s.smoothed_rtt = std::chrono::duration_cast<duration>(std::chrono::duration<double>(srtt));
    s.bytes_acked = static_cast<std::uint64_t>(delivered * dt);
    e.on_ack(s);
    if (i >= 500 && i < 1000) steady_high = std::max(steady_high, static_cast<double>(e.target()));
    if (i >= 1000 && i < 2000 && drop_followed < duration::zero() && static_cast<double>(e.target()) <= low)
      drop_followed = (i - 1000) * step;
    if (i >= 2000 && recovery_followed < duration::zero() && static_cast<double>(e.target()) >= 0.9 * steady_high)
      recovery_followed = (i - 2000) * step;
    if (i == 1999) CHECK(queue_bytes < low * 0.05); // no standing queue at the low rate
  }
  INFO("drop followed after " << std::chrono::duration<double>(drop_followed).count() << " s, recovery after "
                              << std::chrono::duration<double>(recovery_followed).count() << " s");
  CHECK(steady_high >= 0.9 * high);
  CHECK(drop_followed >= duration::zero());
  CHECK(drop_followed <= 1s);
  CHECK(recovery_followed >= duration::zero());
  CHECK(recovery_followed <= 3s);
}

TEST_CASE("target rate: real-time mode's cap on a slower path cuts the target at once, less the headroom") {
  tern::cc::target_rate_estimator est;
  tern::time_point t = tern::time_point{} + std::chrono::seconds(1);
  tern::cc::target_rate_sample s;
  s.bandwidth_estimate = 1'000'000;
  s.delivery.valid = true;
  s.delivery.delivery_rate = 700'000;
  s.latest_rtt = s.smoothed_rtt = s.min_rtt = std::chrono::milliseconds(100);
  s.bytes_acked = 1200;
  for (int i = 0; i < 20; ++i) {
    s.now = t += std::chrono::milliseconds(10);
    est.on_ack(s);
  }
  REQUIRE(est.target() > 600'000);
  // The path fell to 250 kB/s; the cap says so before any standing queue.
  s.now = t += std::chrono::milliseconds(10);
  s.capped_rate = 250'000;
  est.on_ack(s);
  CHECK(est.target() == doctest::Approx(250'000 * (1 - est.headroom())).epsilon(0.01));
  // No cap: the estimator's own rule again (no rise within a smoothed RTT of the cut).
  s.capped_rate = 0;
  s.now = t += std::chrono::milliseconds(10);
  est.on_ack(s);
  CHECK(est.target() <= 250'000);
}

namespace {
/// `n` ACKs every 10 ms from `from`, each delivering `rate` × 10 ms more
/// (the busy ACK clock's input) and showing `queue` plus `queue_growth` per
/// ACK; returns the time after the last.
time_point feed_delivered(target_rate_estimator& e, time_point from, int n, std::uint64_t rate, duration queue,
                          duration queue_growth, std::uint64_t& delivered) {
  time_point t = from;
  for (int i = 0; i < n; ++i, t += 10ms) {
    delivered += rate / 100;
    auto s = ack(t, rate, queue + queue_growth * i, 1'000'000);
    s.delivered = delivered;
    e.on_ack(s);
  }
  return t;
}
} // namespace

TEST_CASE("target_rate: a drop the busy ACK clock shows is cut within a few ACKs, before the standing queue") {
  target_rate_estimator e;
  std::uint64_t delivered = 0;
  time_point t = feed_delivered(e, t0, 100, 1'000'000, 1ms, 0ms, delivered);
  REQUIRE(e.target() >= 900'000);
  // The path falls to 250 kB/s: the queue grows 7.5 ms per 10 ms ACK. Three
  // busy ACKs span 20 ms (> 15 ms).
  t = feed_delivered(e, t, 3, 250'000, 25ms, 7500us, delivered);
  CHECK_FALSE(e.queueing()); // the standing queue has not seen it yet
  CHECK(e.target() <= 250'000 * (1 - e.headroom()));
  CHECK(e.target() >= 150'000);
  // The queue keeps growing for a round trip (sent before the cut): the
  // target follows it down to drain it, to a quarter at 270 ms and more.
  (void)feed_delivered(e, t, 30, 250'000, 50ms, 7500us, delivered);
  CHECK(e.target() <= 250'000 * 0.25 * (1 - e.headroom()) * 1.01);
}

TEST_CASE("target_rate: busy ACKs showing about the target (timed by the sender) do not cut it fast") {
  target_rate_estimator e;
  std::uint64_t delivered = 0;
  time_point t = feed_delivered(e, t0, 100, 1'000'000, 1ms, 0ms, delivered);
  const auto before = e.target();
  REQUIRE(before >= 900'000);
  // A burst queues 30-45 ms and the ACKs show 80 % of the target delivered.
  (void)feed_delivered(e, t, 4, before * 8 / 10, 30ms, 5ms, delivered);
  CHECK_FALSE(e.queueing());
  CHECK(e.target() >= before);
}

TEST_CASE("target_rate: draining_rate is the path's rate from a fast cut until an ACK shows the queue gone") {
  target_rate_estimator e;
  std::uint64_t delivered = 0;
  time_point t = feed_delivered(e, t0, 100, 1'000'000, 1ms, 0ms, delivered);
  CHECK(e.draining_rate() == 0); // no cut yet
  t = feed_delivered(e, t, 3, 250'000, 25ms, 7500us, delivered);
  // The busy ACK clock's 250 kB/s, within the span's rounding.
  CHECK(e.draining_rate() >= 240'000);
  CHECK(e.draining_rate() <= 260'000);
  // Still draining while the queue stands above the threshold.
  t = feed_delivered(e, t, 5, 250'000, 60ms, 0ms, delivered);
  CHECK(e.draining_rate() != 0);
  // An ACK without a queue ends it.
  (void)feed_delivered(e, t, 1, 250'000, 1ms, 0ms, delivered);
  CHECK(e.draining_rate() == 0);
}

TEST_CASE("target_rate: once the queue a fast cut drained is gone, the target returns to the path's rate") {
  target_rate_estimator e;
  std::uint64_t delivered = 0;
  time_point t = feed_delivered(e, t0, 100, 1'000'000, 1ms, 0ms, delivered);
  // The path falls to 250 kB/s and the queue grows past 270 ms: the drain
  // factor takes the target to a quarter of the path.
  t = feed_delivered(e, t, 30, 250'000, 50ms, 7500us, delivered);
  const double usable = 1 - e.headroom();
  REQUIRE(e.target() <= 250'000 * 0.25 * usable * 1.01);
  // The queue drains; past the hold after the cut (a smoothed RTT: 100 ms
  // plus the last queue), an ACK shows none.
  t = feed_delivered(e, t + 400ms, 1, 250'000, 1ms, 0ms, delivered);
  CHECK(e.draining_rate() == 0);
  // Back at the path's rate less the headroom at once, not a quarter
  // doubling per second (which would take two seconds).
  // (The busy clock's span start is decimated: it reads up to 10 % high on
  // ACKs 10 ms apart.)
  CHECK(e.target() >= 250'000 * usable * 0.95);
  CHECK(e.target() <= 250'000 * usable * 1.12);
}
