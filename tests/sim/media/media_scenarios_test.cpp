// A 4 Mbit/s, 30 fps stream of frames sent as deadline messages (400 ms)
// over full tern connections across `delay 100ms loss 2%` in both
// directions, in virtual time: every delivered frame must be intact and on
// time, drops must be consistent with the media target (at most 0.1% of
// frames) and tail latency within what one repair of a lost fragment costs
// (docs/connection.md, "Media", has the measured values). Seeds:
// TERN_TEST_SEED.

#include "connection_scenario.hpp"
#include "support/seed.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

using namespace tern;
using namespace std::chrono_literals;

namespace {

// The same 1800 frames in every build (about 6 s of wall time under ASan):
// virtual time makes a sanitizer build reach the same figures, and the
// percentile and drop bounds below need the sample. With 300 frames (240
// steady) the 99th percentile is the third-worst frame, which one drop
// and the frames queued behind it decide (seeds 11 and 19: 400 ms).
constexpr std::uint64_t frames = 1800;

connsim::scenario_config media_config(const std::string& link, std::uint64_t seed) {
  connsim::scenario_config c;
  c.link = link;
  c.down = link;
  c.seed = seed;
  c.media.enabled = true;
  c.media.frames = frames;
  c.time_limit = 600s;
  return c;
}

/// The largest number of drops among `n` frames that a sender dropping each
/// frame independently with probability `rate` exceeds with probability
/// below `false_alarm`: the binomial upper tail, summed term by term.
std::uint64_t max_drops_consistent_with(std::uint64_t n, double rate, double false_alarm) {
  double pmf = std::pow(1.0 - rate, static_cast<double>(n)); // P(X = 0)
  double at_or_below = pmf;
  std::uint64_t k = 0;
  while (1.0 - at_or_below >= false_alarm && k < n) {
    pmf *= static_cast<double>(n - k) / static_cast<double>(k + 1) * rate / (1.0 - rate);
    ++k;
    at_or_below += pmf;
  }
  return k;
}

} // namespace

TEST_CASE("media sim: drop bound of a 0.1% drop rate, from the binomial tail") {
  // Checked by hand: P(Binomial(1740, 0.001) > 7) = 4.5e-4 while > 6 is
  // 2.1e-3; P(Binomial(240, 0.001) > 3) = 1.1e-4 while > 2 is 1.9e-3.
  CHECK(max_drops_consistent_with(1740, 0.001, 1e-3) == 7);
  CHECK(max_drops_consistent_with(240, 0.001, 1e-3) == 3);
  CHECK(max_drops_consistent_with(1000, 0.0, 1e-3) == 0);
}

TEST_CASE("media sim: 4 Mbit/s 30 fps over 200 ms RTT with 2% loss both ways") {
  const std::uint64_t seed = tern::test::seed();
  CAPTURE(seed);
  // Retransmission alone: forward error correction (on by default) would
  // leave almost nothing to retransmit; media_fec_test.cpp measures it.
  auto config = media_config("delay 100ms loss 2%", seed);
  config.media.fec.mode = fec::repair_mode::off;
  const auto r = connsim::run_scenario(config);
  REQUIRE(r.error.empty());
  CHECK(r.handshake_ok);
  CHECK(r.completed);
  const auto& m = r.media;
  MESSAGE("frames ", m.frames_sent, " delivered ", m.frames_delivered, " dropped ", m.frames_dropped, " (steady ",
          m.steady_frames_dropped, ") p50 ", m.latency_p50_ms, " ms p99 ", m.latency_p99_ms, " ms (steady ",
          m.steady_latency_p99_ms, " ms) max ", m.latency_max_ms, " ms");
  CHECK(m.frames_sent == frames);
  CHECK(m.send_errors == 0);
  CHECK(m.frames_corrupt == 0);
  CHECK(r.sha256_match);
  CHECK(m.frames_delivered + m.frames_dropped == m.frames_sent);
  // Losses happen (the path really is lossy) and are repaired.
  CHECK(r.packets_lost > 0);
  CHECK(m.retransmissions > 0);
  // Last-chance retransmissions go twice.
  CHECK(m.duplicates > 0);
  // Drops. The media target is at most 0.1% of frames dropped
  // (docs/streams.md, "Meeting the media targets"). A run of a couple of
  // thousand frames cannot measure a rate that small; it can check that its
  // count is one a sender meeting the target would produce: no more than
  // the count Binomial(n, 0.001) exceeds with probability 1e-3 (7 of 1740
  // steady frames). Measured: 2-5 per 9000 frames, 0.022-0.056%
  // (docs/connection.md, "Media"); 0-3 per 1740, seeds 1-20.
  const std::uint64_t allowed = max_drops_consistent_with(m.steady_frames_sent, 0.001, 1e-3);
  CAPTURE(m.steady_frames_sent);
  CAPTURE(allowed);
  CHECK(m.steady_frames_dropped <= allowed);
  // Warm-up: the first 2 s (60 frames) queue behind the congestion
  // window's start-up; the window allowance keeps them on time (measured
  // 0-1 drops in them, seeds 1-5).
  CHECK(m.frames_dropped - m.steady_frames_dropped <= 3);
  // Tail latency, from the repair of one lost fragment: the fragment leaves
  // at most one frame interval (33.3 ms) after its frame is handed over
  // (the sender keeps up with the stream), its loss is detected when the
  // ACK of the packets after it returns one RTT (200 ms) later - the tail
  // probes make that so for a frame's last fragments too, and two of them
  // get an immediate ACK - and the repair takes one one-way delay (100 ms).
  // The pacer may hold the repair for one packet's interval (2.4 ms for
  // 1200 bytes at the stream's 4 Mbit/s; it paces faster than that). Frames
  // that need a second repair of the same fragment are about 14 fragments
  // x 0.02^2 = 0.56% of frames, fewer than 1%, so the 99th percentile lies
  // within one repair: 335.7 ms. Measured p99 (seeds 1-20): 309.5-333.0 ms;
  // the 320 ms this checked before, taken from one run, fails seed 5.
  const double one_repair_ms = 100 + 200 + 1000.0 / 30 + 1200 * 8 / 4e6 * 1000;
  CHECK(m.latency_p99_ms <= one_repair_ms);
  CHECK(m.steady_latency_p99_ms <= one_repair_ms);
  CHECK(m.latency_p50_ms > 100); // at least the one-way delay
  CHECK(m.latency_p50_ms < 300);
}

TEST_CASE("media sim: a clean path delivers every frame in one one-way delay") {
  const auto r = connsim::run_scenario(media_config("delay 50ms", tern::test::seed()));
  REQUIRE(r.error.empty());
  const auto& m = r.media;
  CHECK(m.frames_corrupt == 0);
  CHECK(m.steady_frames_dropped == 0);
  CHECK(m.steady_latency_p99_ms < 80); // 50 ms plus serialization at the pacing rate
  CHECK(m.steady_latency_p50_ms >= 50);
}

TEST_CASE("media sim: ProbeRTT on a jittery path neither stalls the stream nor gets stuck") {
  // With 20 ms of jitter a round trip's low RTT rarely comes within 1/64 of
  // the minimum (1 ms of jitter does: bbr_config min_rtt_refresh_tolerance),
  // so BBR's min RTT expires after 10 s and ProbeRTT runs (twice in 30 s,
  // seed 1). It must drain
  // and end: a window cap that the deadline messages' start-up allowance kept
  // refilling once held ProbeRTT for the rest of the stream and dropped a
  // third of the frames.
  auto c = media_config("delay 100ms 20ms", tern::test::seed());
  c.media.frames = 900;
  const auto r = connsim::run_scenario(c);
  REQUIRE(r.error.empty());
  const auto& m = r.media;
  MESSAGE("dropped ", m.frames_dropped, " p99 ", m.latency_p99_ms, " ms, final cwnd ", r.cwnd_bytes);
  CHECK(m.frames_corrupt == 0);
  CHECK(m.frames_dropped == 0);
  CHECK(m.latency_p99_ms < 250);
  // Out of ProbeRTT at the end: the window is well above half the
  // 100 kB the stream keeps in flight.
  CHECK(r.cwnd_bytes > 100'000);
}

TEST_CASE("media sim: the per-frame latency list agrees with the summary (tern-sim --frame-latencies)") {
  const std::uint64_t seed = tern::test::seed();
  CAPTURE(seed);
  auto config = media_config("delay 50ms loss 10%", seed);
  config.media.frames = 150;
  const auto r = connsim::run_scenario(config);
  REQUIRE(r.error.empty());
  const auto& m = r.media;
  REQUIRE(m.frame_latency_ms.size() == m.frames_sent);
  std::uint64_t delivered = 0;
  double worst = 0;
  for (double latency : m.frame_latency_ms) {
    if (latency < 0) continue;
    ++delivered;
    worst = std::max(worst, latency);
    CHECK(latency >= 50); // never faster than the one-way delay
  }
  CHECK(delivered == m.frames_delivered);
  CHECK(worst == m.latency_max_ms);

  const std::string csv = connsim::frame_latencies_csv(config, m);
  CHECK(csv.rfind("frame,sent_ms,latency_ms\n", 0) == 0);
  CHECK(static_cast<std::uint64_t>(std::count(csv.begin(), csv.end(), '\n')) == m.frames_sent + 1);
  // Frame 30 is sent one second after frame 0 at 30 fps.
  CHECK(csv.find("\n30,1000,") != std::string::npos);
}
