// Bulk transfers over the simulator, in virtual time: completion and
// goodput bounds across a matrix of link specs, seeds and congestion
// controllers. The bounds leave margin below what the code achieves so
// that they catch regressions, not noise (virtual time is deterministic; the
// margin covers seeds); where a model predicts the rate (the loss-throughput
// law for loss-based controllers), the bound is a band around the model.
// Seeds: TERN_TEST_SEED and the two after it.

#include <doctest/doctest.h>

#include "scenario.hpp"

#include "support/seed.hpp"

#include <cmath>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using tern::bulk::run_scenario;
using tern::bulk::scenario_config;
using tern::bulk::scenario_result;
namespace cc = tern::cc;

#if defined(__SANITIZE_ADDRESS__)
#define TERN_BULK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TERN_BULK_ASAN 1
#endif
#endif
#ifndef TERN_BULK_ASAN
#define TERN_BULK_ASAN 0
#endif

namespace {

// Heavy cases move a quarter of the bytes under AddressSanitizer.
constexpr std::uint64_t heavy_scale = TERN_BULK_ASAN ? 4 : 1;

const std::vector<std::uint64_t> seeds{tern::test::seed(), tern::test::seed() + 1, tern::test::seed() + 2};

scenario_result run(const std::string& link, const std::string& down, cc::algorithm a, std::uint64_t bytes,
                    std::uint64_t seed) {
  scenario_config c;
  c.link = link;
  c.down = down;
  c.algorithm = a;
  c.bytes = bytes;
  c.seed = seed;
  c.time_limit = 600s;
  const auto r = run_scenario(c);
  REQUIRE(r.error.empty());
  REQUIRE(r.flows.size() == 1);
  return r;
}

double ratio(const scenario_result& r) { return r.goodput_bps / r.link_rate_bps; }

/// The loss-throughput law for a loss-based controller (Mathis et al.,
/// "The macroscopic behavior of the TCP congestion avoidance algorithm",
/// 1997): goodput = payload per packet / RTT * sqrt(3/2) / sqrt(p), with
/// the loss rate p, RTT and payload the flow itself saw. Bits per second.
double loss_throughput_model_bps(const tern::bulk::flow_result& f) {
  const double p = static_cast<double>(f.packets_lost) / static_cast<double>(f.data_packets);
  const double payload = static_cast<double>(f.bytes_received) / static_cast<double>(f.data_packets);
  return payload * 8 / (f.srtt_ms / 1000) * std::sqrt(1.5) / std::sqrt(p);
}

} // namespace

TEST_CASE("bulk: every controller completes clean paths near the link rate") {
  // Short transfers: Startup is a visible part of them, hence the bounds.
  const std::vector<std::string> links{"rate 10mbit delay 20ms", "rate 50mbit delay 10ms limit 500"};
  const std::vector<std::string> downs{"delay 20ms", "delay 10ms"};
  for (std::size_t i = 0; i < links.size(); ++i)
    for (auto a : {cc::algorithm::bbr, cc::algorithm::cubic, cc::algorithm::new_reno})
      for (auto seed : seeds) {
        CAPTURE(links[i]);
        CAPTURE(cc::to_string(a));
        CAPTURE(seed);
        const auto r = run(links[i], downs[i], a, 5'000'000, seed);
        CHECK(r.completed);
        CHECK(r.flows[0].bytes_received == 5'000'000);
        CHECK(ratio(r) > 0.85);
        // Every retransmission follows a declared loss (or a probe).
        CHECK(r.flows[0].packets_retransmitted <= r.flows[0].packets_lost + 2 * r.flows[0].probe_timeouts);
      }
}

TEST_CASE("bulk: NewReno and CUBIC fill a 100 Mbit/s, 20 ms path without random loss") {
  // RFC 9002 section 7 (NewReno) and RFC 9438 (CUBIC) probe by filling the
  // 1000-packet queue: they must lose at the limit, recover each loss with
  // one retransmission, and still keep the link at least 90% busy.
  for (auto a : {cc::algorithm::cubic, cc::algorithm::new_reno}) {
    CAPTURE(cc::to_string(a));
    const auto r = run("rate 100mbit delay 10ms limit 1000", "delay 10ms", a, 100'000'000 / heavy_scale, seeds[0]);
    CHECK(r.completed);
    CHECK(r.flows[0].bytes_received == 100'000'000 / heavy_scale);
    CHECK(ratio(r) >= (TERN_BULK_ASAN ? 0.85 : 0.90));
    CHECK(r.flows[0].packets_lost > 0);
    CHECK(r.flows[0].packets_retransmitted <= r.flows[0].packets_lost + 2 * r.flows[0].probe_timeouts);
  }
}

TEST_CASE("bulk: BBR keeps its rate under 1 percent random loss, the loss-based controllers complete") {
  for (auto seed : seeds) {
    CAPTURE(seed);
    const auto bbr =
        run("rate 50mbit delay 25ms loss 1% limit 2000", "delay 25ms", cc::algorithm::bbr, 10'000'000, seed);
    CHECK(bbr.completed);
    CHECK(ratio(bbr) > 0.75);
    CHECK(bbr.flows[0].packets_lost > 0);
    // A loss-based controller's rate is set by the loss rate, not the link:
    // the loss-throughput law predicts about 2.3 Mbit/s here (1% loss,
    // 50 ms), a twentieth of the link - the price BBR avoids. Mathis'
    // constant is 1.22 (sqrt(3/2)); it ranges from 0.87 to 1.31 with the
    // ACK policy and loss pattern, so a controller that follows the law
    // lies within 0.71-1.07 of the 1.22 model, and CUBIC (RFC 9438 §4.3:
    // Reno-friendly at this window, but cutting by 0.7, not 0.5) somewhat
    // above Reno: the test asks for 0.7-1.3. A controller that ignored loss
    // would be near the link (20x), one that collapsed to timeouts far
    // below. 20 MB (about 170 loss events; 2 MB had ten, and the rate then
    // swung from 1.7 to 16 Mbit/s with the seed). Measured ratio, seeds
    // 1-10: CUBIC 1.03-1.11, NewReno 0.87-0.94.
    for (auto a : {cc::algorithm::cubic, cc::algorithm::new_reno}) {
      CAPTURE(cc::to_string(a));
      const auto r = run("rate 50mbit delay 25ms loss 1% limit 2000", "delay 25ms", a, 20'000'000, seed);
      CHECK(r.completed);
      REQUIRE(r.flows[0].packets_lost > 0);
      const double model = loss_throughput_model_bps(r.flows[0]);
      CAPTURE(model);
      CAPTURE(r.goodput_bps);
      CHECK(r.goodput_bps > 0.7 * model);
      CHECK(r.goodput_bps < 1.3 * model);
    }
  }
}

TEST_CASE("bulk: random loss of a few percent does not collapse BBR's rate") {
  for (const std::string link :
       {"rate 50mbit delay 25ms loss 3% limit 2000", "rate 50mbit delay 25ms loss 5% limit 2000"})
    for (auto seed : seeds) {
      CAPTURE(link);
      CAPTURE(seed);
      const auto r = run(link, "delay 25ms", cc::algorithm::bbr, 20'000'000, seed);
      CHECK(r.completed);
      CHECK(ratio(r) > 0.8);
    }
}

TEST_CASE("bulk: Gilbert-Elliott burst loss on a long path completes") {
  for (auto seed : seeds)
    for (auto a : {cc::algorithm::bbr, cc::algorithm::cubic, cc::algorithm::new_reno}) {
      CAPTURE(seed);
      CAPTURE(cc::to_string(a));
      const auto r = run("rate 10mbit delay 150ms loss gemodel 1% 20%", "delay 150ms", a, 2'000'000, seed);
      CHECK(r.completed);
      CHECK(r.flows[0].packets_lost > 0);
      CHECK(r.goodput_bps > (a == cc::algorithm::bbr ? 3e6 : 2e5));
    }
}

TEST_CASE("bulk: ACKs lost on the return path slow nothing down much") {
  for (auto seed : seeds)
    for (auto a : {cc::algorithm::bbr, cc::algorithm::cubic, cc::algorithm::new_reno}) {
      CAPTURE(seed);
      CAPTURE(cc::to_string(a));
      const auto r = run("rate 20mbit delay 20ms", "delay 20ms loss 5%", a, 5'000'000, seed);
      CHECK(r.completed);
      CHECK(ratio(r) > 0.85);
    }
}

TEST_CASE("bulk: reordering is recognised as spurious loss and the transfer still completes") {
  for (auto seed : seeds)
    for (auto a : {cc::algorithm::bbr, cc::algorithm::cubic, cc::algorithm::new_reno}) {
      CAPTURE(seed);
      CAPTURE(cc::to_string(a));
      const auto r = run("rate 20mbit delay 20ms reorder 10% 50%", "delay 20ms", a, 5'000'000, seed);
      CHECK(r.completed);
      CHECK(r.flows[0].spurious_retransmits > 0);
      CHECK(ratio(r) > 0.7);
    }
}

TEST_CASE("bulk: duplicated and corrupted datagrams are survived") {
  for (auto seed : seeds)
    for (auto a : {cc::algorithm::bbr, cc::algorithm::cubic}) {
      CAPTURE(seed);
      CAPTURE(cc::to_string(a));
      const auto r =
          run("rate 20mbit delay 20ms duplicate 1% corrupt 1%", "delay 20ms corrupt 1%", a, 2'000'000, seed);
      CHECK(r.completed);
      CHECK(r.flows[0].bytes_received == 2'000'000);
    }
}

TEST_CASE("bulk: 100 Mbit/s, 20 ms, no loss - BBR fills the link with a short queue") {
  const auto r = run("rate 100mbit delay 10ms limit 1000", "delay 10ms", cc::algorithm::bbr,
                     100'000'000 / heavy_scale, tern::test::seed());
  CHECK(r.completed);
  CHECK(ratio(r) >= (TERN_BULK_ASAN ? 0.90 : 0.95));
  CHECK(r.mean_queue_delay_ms <= 0.25 * r.flows[0].min_rtt_ms);
}

TEST_CASE("bulk: 100 Mbit/s, 200 ms, 1 percent loss - BBR's jump start reaches 90 percent of the link") {
  // Issue 4, target 1. Standard Startup spends 7.7 round trips (1.5 s) of
  // this 8.5 s transfer reaching the BDP and ends at 79.6%; the jump start
  // paces at the bottleneck rate after one round trip. About 2 s of wall
  // time per seed in release.
  for (auto seed : seeds) {
    CAPTURE(seed);
    const auto r = run("rate 100mbit delay 100ms loss 1% limit 3000", "delay 100ms", cc::algorithm::bbr,
                       100'000'000 / heavy_scale, seed);
    CHECK(r.completed);
    CHECK(r.flows[0].bytes_received == 100'000'000 / heavy_scale);
    if (!TERN_BULK_ASAN) CHECK(ratio(r) >= 0.90);
    // Startup and Drain are over within the first 3 round trips, and
    // without Startup's 180 ms overshoot.
    CHECK(r.flows[0].startup_end_s <= 0.6);
    CHECK(r.peak_queue_delay_ms < 100);
  }
}

TEST_CASE("bulk: BBR without a usable ACK train (ACKs released in 10 ms batches) falls back to standard Startup") {
  // netem's slot on the return path delivers the initial window's ACKs at
  // one instant: no rate, no jump; Startup doubles as it always did.
  for (auto seed : seeds) {
    CAPTURE(seed);
    const auto r = run("rate 50mbit delay 25ms limit 2000", "delay 25ms slot 10ms", cc::algorithm::bbr,
                       20'000'000, seed);
    CHECK(r.completed);
    CHECK(ratio(r) > 0.75);
    CHECK(r.flows[0].startup_end_s > 0.2);
  }
}

TEST_CASE("bulk: a path wider than 2^15 packets is held by the packet window, not the congestion window") {
  scenario_config c;
  c.link = "rate 1gbit delay 300ms limit 200000";
  c.down = "delay 300ms";
  c.algorithm = cc::algorithm::bbr;
  c.bytes = 120'000'000 / heavy_scale;
  c.seed = tern::test::seed();
  const auto r = run_scenario(c);
  REQUIRE(r.error.empty());
  CHECK(r.completed);
  if (!TERN_BULK_ASAN) CHECK(r.flows[0].packet_window_limited_s > 0.1);
}

TEST_CASE("bulk: two BBR flows on one bottleneck converge to a fair share") {
  // BBR flows converge when both go through ProbeRTT (every 10 s): both
  // drain the queue, see the true minimum RTT and restart from it; so the
  // fairness window opens 10 s after the second flow starts and lasts until
  // the first finishes (about 20 s with 200 MB each). The same run in every
  // build (virtual time gives sanitizers the same result; about 10 s of
  // wall time in release): a quarter of the bytes with a 5 s window, which
  // ASan used to get, closes before any ProbeRTT and ends 61/37, so it
  // asserted only completion. A fair share here: each flow within 20% of
  // the mean (Jain's index then is at least 0.96). Measured, seeds 1-3:
  // shares 0.89-1.11, Jain 0.989-0.9997.
  scenario_config c;
  c.link = "rate 100mbit delay 10ms limit 1000";
  c.down = "delay 10ms";
  c.algorithm = cc::algorithm::bbr;
  c.flows = 2;
  c.stagger = 2s;
  c.fairness_warmup = 10s;
  c.bytes = 200'000'000;
  c.seed = tern::test::seed();
  const auto r = run_scenario(c);
  REQUIRE(r.error.empty());
  CHECK(r.completed);
  REQUIRE(r.flows.size() == 2);
  const double fair = (r.flows[0].window_goodput_bps + r.flows[1].window_goodput_bps) / 2;
  CAPTURE(r.flows[0].window_goodput_bps);
  CAPTURE(r.flows[1].window_goodput_bps);
  CHECK(r.jain_index > 0.95);
  for (const auto& f : r.flows) {
    CHECK(f.window_goodput_bps > 0.8 * fair);
    CHECK(f.window_goodput_bps < 1.2 * fair);
  }
}

TEST_CASE("bulk: a scenario is reproduced exactly from its seed") {
  scenario_config c;
  c.link = "rate 20mbit delay 20ms loss 2%";
  c.down = "delay 20ms loss 1%";
  c.bytes = 3'000'000;
  c.seed = tern::test::seed();
  const auto a = run_scenario(c);
  const auto b = run_scenario(c);
  c.seed += 1;
  const auto other = run_scenario(c);
  CHECK(a.virtual_duration == b.virtual_duration);
  CHECK(a.flows[0].packets_sent == b.flows[0].packets_sent);
  CHECK(a.flows[0].packets_lost == b.flows[0].packets_lost);
  CHECK(a.events == b.events);
  CHECK(a.events != other.events);
}

// --- Reordering and shallow buffers (docs/congestion.md, "Reordering") ---

namespace {
// Packets tern's own flow lost at the queue limit, as a share of those sent.
double queue_drop_share(const scenario_result& r) {
  return static_cast<double>(r.link_dropped_limit) / static_cast<double>(r.flows[0].packets_sent);
}
} // namespace

TEST_CASE("bulk: BBR holds its rate when a reordering link sends packets past its delay line") {
  // netem sends a reordered packet at once, so its RTT is a fraction of the
  // path's; as BBR's min RTT it held the window at that fraction and the
  // estimate spiralled down (1.3% of the link on the first row).
  struct cell {
    std::string link;
    std::string down;
    double floor;
  };
  const cell cells[] = {
      {"rate 100mbit delay 50ms reorder 3%", "delay 10ms", 0.6},
      {"rate 100mbit delay 10ms reorder 1%", "", 0.9},
      {"rate 100mbit delay 10ms reorder 3%", "delay 10ms", 0.9},
      {"rate 100mbit delay 10ms reorder 25% 50%", "delay 10ms", 0.9},
      {"rate 100mbit delay 10ms reorder 3% gap 5", "delay 10ms", 0.9},
      {"rate 100mbit delay 50ms reorder 3%", "delay 50ms", 0.65},
      {"rate 100mbit delay 50ms reorder 25% 50%", "delay 50ms", 0.65},
  };
  for (const auto& c : cells)
    for (auto seed : seeds) {
      CAPTURE(c.link);
      CAPTURE(c.down);
      CAPTURE(seed);
      // Full size in every build: the floors hold for 20 MB, and a quarter of
      // it is mostly start-up (ASan gave 0.36 of the link at 5 MB).
      const auto r = run(c.link, c.down, cc::algorithm::bbr, 20'000'000, seed);
      CHECK(r.completed);
      CHECK(ratio(r) > c.floor);
      // Reordered packets are recognised as such, not counted as losses for good.
      CHECK(r.flows[0].spurious_retransmits > 0);
    }
}

TEST_CASE("bulk: a buffer shallower than BBR's probe is overrun by at most 1 percent of the packets") {
  // netem's limit counts the delay line: 104 packets at 100 Mbit/s and
  // 10 ms, 1042 at 100 ms, plus 0.1 and 0.25 BDP of queue.
  // The 200 ms paths move 100 MB so the start (a round trip of nothing, a
  // jump that meets the buffer) does not dominate.
  struct path {
    const char* link;
    const char* down;
    std::uint64_t bytes;
  };
  const path paths[] = {
      {"rate 100mbit delay 10ms limit 125", "delay 10ms", 40'000'000},
      {"rate 100mbit delay 10ms limit 156", "delay 10ms", 40'000'000},
      {"rate 100mbit delay 100ms limit 1250", "delay 100ms", 100'000'000},
      {"rate 100mbit delay 100ms limit 1563", "delay 100ms", 100'000'000},
  };
  for (const auto& [link, down, bytes] : paths)
    for (auto seed : seeds) {
      CAPTURE(link);
      CAPTURE(seed);
      // Full size in every build, as above: the start does not dominate.
      const auto r = run(link, down, cc::algorithm::bbr, bytes, seed);
      CHECK(r.completed);
      CHECK(ratio(r) > 0.9);
      CHECK(queue_drop_share(r) <= 0.01);
    }
}
