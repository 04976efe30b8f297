// Forward error correction on the media stream of media_scenarios_test.cpp
// (docs/fec.md, docs/benchmarks.md "Media frames with forward error
// correction"): issue 19's simulator targets that hold, as gates. Figures
// measured over seeds 1-5 are in the comments; the bounds are the issue's.
// Seeds: TERN_TEST_SEED.

#include "connection_scenario.hpp"
#include "support/seed.hpp"

#include <doctest/doctest.h>

using namespace tern;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t frames = 1800;

connsim::scenario_result run(const std::string& link, duration deadline, fec::repair_mode mode) {
  connsim::scenario_config c;
  c.link = link;
  c.down = link;
  c.seed = tern::test::seed();
  c.media.enabled = true;
  c.media.frames = frames;
  c.media.deadline = deadline;
  c.media.fec.mode = mode;
  c.time_limit = 600s;
  auto r = connsim::run_scenario(c);
  REQUIRE(r.error.empty());
  const auto& m = r.media;
  MESSAGE("seed ", c.seed, " dropped ", m.frames_dropped, " p50 ", m.latency_p50_ms, " p99 ", m.latency_p99_ms,
          " (steady ", m.steady_latency_p99_ms, ") overhead ", m.fec.overhead, " recovered ", m.fec.packets_recovered,
          " retransmitted fragments ", m.retransmissions);
  CHECK(m.frames_corrupt == 0);
  return r;
}

} // namespace

TEST_CASE("media fec: 2% loss both ways, 400 ms deadline - latency near the one-way delay, under 25% repair") {
  const auto r = run("delay 100ms loss 2%", 400ms, fec::repair_mode::adaptive);
  const auto& m = r.media;
  // Seeds 1-5: p50 106.6-107.3 ms, steady p99 107.2-108.5 ms, p99 of the
  // whole run 107.2-139.6 ms (139.6: two blocks on seed 5 that repair could
  // not rebuild wait for their retransmission, and hold the frames behind
  // them), no drops, overhead 20.6-22.6%. Before the prior (docs/fec.md,
  // "Before the first reports") a loss in the first second waited for its
  // retransmission: p99 up to 166.7 ms. Without FEC: p50 241-245, p99
  // 310-335 ms.
  CHECK(m.frames_over_deadline == 0);
  CHECK(m.latency_p50_ms <= 110);
  CHECK(m.steady_latency_p99_ms <= 150);
  CHECK(m.latency_p99_ms <= 200);
  CHECK(m.frames_dropped <= frames / 1000); // 0.1%
  CHECK(m.fec.overhead <= 0.25);
  CHECK(m.fec.packets_recovered > 0);
  // What repair rebuilt was not retransmitted: far fewer fragments went
  // again than packets were lost (seeds 1-5: 9-21 against about 900 lost).
  CHECK(m.retransmissions * 10 < r.link_lost);
}

TEST_CASE("media fec: deadline start-up - the first second's frames arrive near the one-way delay") {
  // The connection's first round trips (docs/streams.md, "Deadline
  // start-up"): the congestion window starts at 10 packets and the stream
  // needs about 110 in flight per 200 ms round trip. Without deadline
  // start-up 4 of the first 30 frames took over 150 ms on seed 1 (frames
  // 3-5 and 10: 166.7-200 ms, waiting for the first acknowledgements) and
  // p99 over 20 s was 133.3-172.9 ms on seeds 1-5; with it one frame
  // (frame 4, 166.7 ms) on each of seeds 1-5, and p99 over 20 s
  // 109.1-109.9 ms on seeds 1 and 3-5.
  const auto r = run("delay 100ms loss 2%", 400ms, fec::repair_mode::adaptive);
  const auto& latency = r.media.frame_latency_ms;
  REQUIRE(latency.size() >= 30);
  int over = 0;
  for (std::size_t i = 0; i < 30; ++i) {
    CAPTURE(i);
    CHECK(latency[i] > 0); // delivered
    if (latency[i] > 150) ++over;
  }
  CHECK(over <= 1);
}

TEST_CASE("media fec: a 200 ms deadline, shorter than one-way delay plus a round trip, drops at most 0.5%") {
  // Retransmission cannot help: without FEC 25-27% of the frames are
  // dropped; with it 1-4 of 1800 (seeds 1-5), overhead 27-30%.
  // (A few frames - 2-4, 590-620 without FEC - are delivered after their
  // deadline: delivery is in message order, and a frame behind a dropped
  // one waits for the drop to be declared. That is the message receiver's
  // ordering, not repair's.)
  const auto r = run("delay 100ms loss 2%", 200ms, fec::repair_mode::adaptive);
  CHECK(r.media.frames_dropped <= frames * 5 / 1000);
  CHECK(r.media.latency_p50_ms <= 110);
}

TEST_CASE("media fec: bursty loss (gemodel 1% 20%) drops at most 0.5%, and spanning blocks with interleaved repair "
          "halve the retransmissions") {
  // Seeds 1-5: 1-3 drops of 1800 (23-39 without FEC), overhead 55-56%,
  // 327-561 fragments retransmitted (741-1020 with one block per message
  // and its repair right behind it; docs/fec.md, "Bursty loss").
  // The p99 target for this path (200 ms) is not met: in message
  // order each block repair cannot rebuild holds the frames behind it for
  // a retransmission, so p99 is 374-394 ms (467 ms without FEC).
  const auto r = run("delay 100ms loss gemodel 1% 20%", 400ms, fec::repair_mode::adaptive);
  CHECK(r.media.frames_dropped <= frames * 5 / 1000);
  CHECK(r.media.retransmissions <= 650);
}

TEST_CASE("media fec: a clean path carries under 1% repair and its latency is no worse") {
  // Issue 19's clean-path target. The prior (docs/fec.md, "Before the
  // first reports") protects the first 200 packets and the round trip it
  // takes to judge them, then repair stops: seed 1, 54 repair packets
  // (0.21% of 60 s). Its repair fills the first round trips, so
  // congestion control's bandwidth estimate comes out higher and frames
  // are paced out slightly faster: p50 and p99 106.8 ms against 109.4 ms
  // without FEC.
  const auto with = run("delay 100ms", 400ms, fec::repair_mode::adaptive);
  const auto without = run("delay 100ms", 400ms, fec::repair_mode::off);
  CHECK(with.media.fec.overhead < 0.01);
  CHECK(with.media.fec.repair_packets < 100); // a prior's worth, not a steady stream
  CHECK(with.media.latency_p99_ms <= without.media.latency_p99_ms * 1.01);
  CHECK(with.media.latency_p50_ms <= without.media.latency_p50_ms * 1.01);
}
