#include <doctest/doctest.h>

#include "support/seed.hpp"

#include "core/path_mtu.hpp"

#include <tern/random.hpp>

#include <chrono>

using namespace std::chrono_literals;
using tern::time_point;
using tern::core::pmtud;
using tern::core::pmtud_config;
using tern::core::pmtud_state;

namespace {

constexpr time_point t0{1s};

/// MAX_PLPMTU of a default pmtud_config: where a search on a path that
/// carries everything ends.
const std::size_t default_max = pmtud_config{}.max_size;

// Drives the machine against a path that carries payloads up to `path_max`
// bytes, one probe per step, until no probe is due. Checks after every step
// that the usable size never exceeds what the path carries. Returns the
// number of probes sent.
int run_search(pmtud& m, std::size_t path_max, time_point& now, int step_limit = 200) {
  int probes = 0;
  for (int i = 0; i < step_limit; ++i) {
    const std::size_t size = m.poll_probe(now);
    if (size == 0) break;
    ++probes;
    now += 50ms;
    if (size <= path_max)
      m.on_probe_acked(size, now);
    else
      m.on_probe_lost(size, now);
    REQUIRE(m.usable_size() <= std::max<std::size_t>(path_max, 1200));
  }
  return probes;
}

} // namespace

TEST_CASE("pmtud: a path carrying the maximum is confirmed by one probe") {
  pmtud m;
  time_point now = t0;
  CHECK(m.usable_size() == 1200);
  CHECK(m.state() == pmtud_state::searching);
  const std::size_t first = m.poll_probe(now);
  CHECK(first == default_max);
  CHECK(m.poll_probe(now) == 0);  // one probe in flight at a time
  CHECK(m.usable_size() == 1200); // not before the ack
  m.on_probe_acked(default_max, now);
  CHECK(m.usable_size() == default_max);
  CHECK(m.state() == pmtud_state::search_complete);
  CHECK(m.poll_probe(now) == 0);
  CHECK(m.next_timeout() == tern::never); // nothing above max to raise to
}

TEST_CASE("pmtud: the search converges below the path limit and never above it") {
  tern::random_source rng{tern::test::seed()};
  for (int round = 0; round < 200; ++round) {
    const std::size_t path_max = 1200 + rng.uniform(300); // 1200..1499
    pmtud m;
    time_point now = t0;
    const int probes = run_search(m, path_max, now);
    INFO("path_max=" << path_max << " usable=" << m.usable_size());
    REQUIRE(m.state() == pmtud_state::search_complete);
    const std::size_t expect = std::min<std::size_t>(path_max, default_max);
    CHECK(m.usable_size() <= expect);
    if (expect == default_max)
      CHECK(m.usable_size() == default_max);
    else
      CHECK(expect - m.usable_size() < 8);
    // Three losses of max, then a binary search: a bounded number of probes.
    CHECK(probes <= 3 + 3 * 6 + 6);
  }
}

TEST_CASE("pmtud: a size is given up only after max_probes consecutive losses") {
  pmtud m;
  time_point now = t0;
  CHECK(m.poll_probe(now) == default_max);
  m.on_probe_lost(default_max, now);
  CHECK(m.poll_probe(now) == default_max);
  m.on_probe_lost(default_max, now);
  CHECK(m.poll_probe(now) == default_max);
  m.on_probe_acked(default_max, now); // the third try got through
  CHECK(m.usable_size() == default_max);

  pmtud n;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(n.poll_probe(now) == default_max);
    n.on_probe_lost(default_max, now);
  }
  const std::size_t next = n.poll_probe(now);
  CHECK(next > 1200);
  CHECK(next < default_max);
  CHECK(n.usable_size() == 1200);
}

TEST_CASE("pmtud: reports about a size not in flight are ignored") {
  pmtud m;
  time_point now = t0;
  REQUIRE(m.poll_probe(now) == default_max);
  m.on_probe_acked(1400, now); // not the probe in flight
  CHECK(m.usable_size() == 1200);
  CHECK(m.probe_in_flight() == default_max);
  m.on_probe_lost(1300, now);
  CHECK(m.probe_in_flight() == default_max);
  m.on_probe_acked(default_max, now);
  m.on_probe_acked(default_max, now); // duplicate
  CHECK(m.usable_size() == default_max);
  m.on_probe_lost(default_max, now); // late loss report after the ack
  CHECK(m.usable_size() == default_max);
  CHECK(m.state() == pmtud_state::search_complete);
}

TEST_CASE("pmtud: full-size packets that keep vanishing fall back to base and search lower") {
  pmtud m;
  time_point now = t0;
  run_search(m, default_max, now);
  REQUIRE(m.usable_size() == default_max);
  // The path shrinks to 1350: every full-size packet from number 100 on is
  // lost; only ones sent before were acknowledged.
  m.on_packet_acked(default_max, 99);
  for (std::uint64_t pn = 100; pn < 103; ++pn) m.on_packet_lost(default_max, pn, now);
  CHECK(m.usable_size() == default_max); // below the threshold
  m.on_packet_lost(default_max, 103, now);
  CHECK(m.usable_size() == 1200);
  CHECK(m.state() == pmtud_state::base);
  CHECK(m.poll_probe(now) == 1200); // confirm the base first
  m.on_probe_acked(1200, now);
  CHECK(m.state() == pmtud_state::searching);
  const int probes = run_search(m, 1350, now);
  CHECK(probes > 0);
  CHECK(m.usable_size() <= 1350);
  CHECK(m.usable_size() > 1350 - 8);
}

TEST_CASE("pmtud: losses of small packets or acks of big ones mean congestion, not a black hole") {
  pmtud m;
  time_point now = t0;
  run_search(m, default_max, now);
  REQUIRE(m.usable_size() == default_max);
  std::uint64_t pn = 0;
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 3; ++i) m.on_packet_lost(default_max, pn++, now);
    if (round % 2 == 0)
      m.on_packet_lost(1000, pn++, now);
    else
      m.on_packet_acked(default_max, pn++);
  }
  CHECK(m.usable_size() == default_max);
  CHECK(m.state() == pmtud_state::search_complete);
}

TEST_CASE("pmtud: a burst of big packets dropped before a later big one got through is congestion") {
  pmtud m;
  time_point now = t0;
  run_search(m, default_max, now);
  REQUIRE(m.usable_size() == default_max);
  // A full queue drops 20 packets in a row; the ack of packet 125 declares
  // them lost (acknowledgements are reported before the losses of one ACK).
  for (int burst = 0; burst < 5; ++burst) {
    const std::uint64_t first = 1000 + burst * 100;
    m.on_packet_acked(default_max, first + 25);
    for (std::uint64_t pn = first; pn < first + 20; ++pn) m.on_packet_lost(default_max, pn, now);
  }
  CHECK(m.usable_size() == default_max);
  CHECK(m.stats().black_holes == 0);
}

TEST_CASE("pmtud: the raise timer searches again and finds a path that grew") {
  pmtud m;
  time_point now = t0;
  run_search(m, 1300, now);
  REQUIRE(m.state() == pmtud_state::search_complete);
  const std::size_t found = m.usable_size();
  CHECK(found <= 1300);
  const time_point deadline = m.next_timeout();
  REQUIRE(deadline != tern::never);
  CHECK(deadline - now == std::chrono::seconds(600));
  m.on_timeout(deadline - 1ms);
  CHECK(m.poll_probe(deadline - 1ms) == 0);
  now = deadline;
  m.on_timeout(now);
  CHECK(m.state() == pmtud_state::searching);
  CHECK(m.next_timeout() == tern::never);
  CHECK(m.usable_size() == found); // kept while searching
  run_search(m, default_max, now);
  CHECK(m.usable_size() == default_max);
}

TEST_CASE("pmtud: an unconfirmed base that is never acked is an error retried on the timer") {
  pmtud_config cfg;
  cfg.base_confirmed = false;
  pmtud m{cfg};
  time_point now = t0;
  CHECK(m.state() == pmtud_state::base);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(m.poll_probe(now) == 1200);
    m.on_probe_lost(1200, now);
  }
  CHECK(m.state() == pmtud_state::error);
  CHECK(m.usable_size() == 1200);
  CHECK(m.poll_probe(now) == 0);
  REQUIRE(m.next_timeout() != tern::never);
  now = m.next_timeout();
  m.on_timeout(now);
  CHECK(m.state() == pmtud_state::base);
  REQUIRE(m.poll_probe(now) == 1200);
  m.on_probe_acked(1200, now);
  CHECK(m.state() == pmtud_state::searching);
  CHECK(m.poll_probe(now) == default_max);
}

TEST_CASE("pmtud: a local EMSGSIZE rules out the probe size at once") {
  pmtud m;
  time_point now = t0;
  REQUIRE(m.poll_probe(now) == default_max);
  m.on_packet_too_big(default_max, now);
  const std::size_t next = m.poll_probe(now);
  CHECK(next < default_max);
  CHECK(next > 1200);
  m.on_probe_acked(next, now);
  CHECK(m.usable_size() == next);
  // Later the interface MTU shrinks below the usable size.
  m.on_packet_too_big(next - 10, now);
  CHECK(m.usable_size() == 1200);
  CHECK(m.state() == pmtud_state::base);
  // A report above the usable size is stale and changes nothing.
  m.on_packet_too_big(default_max, now);
  CHECK(m.state() == pmtud_state::base);
}

TEST_CASE("pmtud: a maximum below the base is treated as the base") {
  pmtud_config cfg;
  cfg.max_size = 1000;
  pmtud m{cfg};
  CHECK(m.usable_size() == 1200);
  CHECK(m.state() == pmtud_state::search_complete);
  CHECK(m.poll_probe(t0) == 0);
}

TEST_CASE("pmtud: probe_due changes nothing until on_probe_sent") {
  pmtud m;
  CHECK(m.probe_due() == default_max);
  CHECK(m.probe_due() == default_max);
  CHECK(m.probe_in_flight() == 0);
  m.on_probe_sent(1300); // not the size that is due: ignored
  CHECK(m.probe_in_flight() == 0);
  m.on_probe_sent(default_max);
  CHECK(m.probe_in_flight() == default_max);
  CHECK(m.probe_due() == 0);
  CHECK(m.stats().probes_sent == 1);
  m.on_probe_acked(default_max, t0);
  CHECK(m.stats().probes_acked == 1);
  CHECK(m.usable_size() == default_max);
}

TEST_CASE("pmtud: a silent path falls back to the base but keeps the size as a candidate") {
  pmtud m;
  time_point now = t0;
  run_search(m, default_max, now);
  REQUIRE(m.usable_size() == default_max);
  m.on_path_silent(now);
  CHECK(m.usable_size() == 1200);
  CHECK(m.state() == pmtud_state::base);
  CHECK(m.stats().black_holes == 1);
  // The base is confirmed first, then the old size is tried again (an outage
  // looks the same as a black hole), and found once the path carries it.
  CHECK(m.poll_probe(now) == 1200);
  m.on_probe_acked(1200, now);
  CHECK(m.poll_probe(now) == default_max);
  m.on_probe_acked(default_max, now);
  CHECK(m.usable_size() == default_max);
  // At the base already there is nothing to fall back from.
  pmtud base_only;
  base_only.on_path_silent(now);
  CHECK(base_only.stats().black_holes == 0);
  CHECK(base_only.usable_size() == 1200);
}
