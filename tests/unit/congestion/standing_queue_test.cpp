#include <doctest/doctest.h>

#include "congestion/standing_queue.hpp"

#include "support/seed.hpp"

#include <tern/random.hpp>

#include <chrono>

using namespace std::chrono_literals;
using tern::duration;
using tern::time_point;
using tern::cc::standing_queue;

namespace {

constexpr time_point t0 = time_point{} + 10s;
constexpr duration min_rtt = 100ms;

/// RTT samples every 5 ms from `from` for `length`, `queue` above the minimum.
time_point samples(standing_queue& q, time_point from, duration length, duration queue) {
  time_point t = from;
  for (; t < from + length; t += 5ms) q.on_rtt_sample(t, min_rtt + queue, min_rtt);
  return t;
}

} // namespace

TEST_CASE("standing_queue: no samples, no queue") {
  standing_queue q;
  CHECK_FALSE(q.has_sample());
  CHECK_FALSE(q.congested());
  CHECK(q.delay() == duration::zero());
}

TEST_CASE("standing_queue: a queue that lasts a window (1.5 min RTTs) stands, one that drains within it does not") {
  standing_queue q;
  time_point t = samples(q, t0, 1s, 0ms);
  CHECK(q.threshold() == 20ms); // 10 ms + a tenth of 100 ms
  t = samples(q, t, 100ms, 60ms);
  CHECK_FALSE(q.congested()); // the window still holds the empty queue
  t = samples(q, t, 100ms, 60ms);
  CHECK(q.congested());
  CHECK(q.delay() == 60ms);
  // A burst: 120 ms of queue, then empty for the rest of the second.
  standing_queue bursts;
  t = samples(bursts, t0, 1s, 0ms);
  for (int i = 0; i < 5; ++i) {
    t = samples(bursts, t, 120ms, 120ms);
    CHECK_FALSE(bursts.congested());
    t = samples(bursts, t, 880ms, 0ms);
  }
}

TEST_CASE("standing_queue: wide jitter raises the threshold instead of standing as a queue") {
  standing_queue q;
  tern::random_source rng(tern::test::seed());
  time_point t = t0;
  int congested = 0, total = 0;
  // ±20 ms of RTT jitter, sampled every 20 ms: the window's lowest of eight
  // is often 10 ms or more above the minimum.
  for (int i = 0; i < 1500; ++i, t += 20ms) {
    const auto jitter = std::chrono::microseconds(static_cast<std::int64_t>(rng.uniform01() * 40'000));
    q.on_rtt_sample(t, min_rtt + jitter, min_rtt);
    if (i >= 500) {
      ++total;
      congested += q.congested();
    }
  }
  INFO("noise " << std::chrono::duration<double, std::milli>(q.noise()).count() << " ms");
  CHECK(q.threshold() > 20ms);
  CHECK(q.threshold() <= 40ms);
  CHECK(congested * 100 < total); // under 1 % of the samples
}
