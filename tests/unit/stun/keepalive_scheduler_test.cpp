// Keepalive timing in virtual time.
#include <doctest/doctest.h>

#include "helpers.hpp"
#include "support/seed.hpp"

#include "stun/keepalive_scheduler.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

using namespace tern::stun;
using namespace std::chrono_literals;
using tern::duration;
using tern::time_point;

namespace {

const time_point t0{std::chrono::hours{1}};

// Advances virtual time to `until`, firing every due keepalive; returns the
// times indications went out.
std::vector<time_point> advance(keepalive_scheduler& k, time_point until) {
  std::vector<time_point> sent;
  while (k.next_timeout() <= until) {
    const time_point at = k.next_timeout();
    REQUIRE(k.on_timeout(at));
    sent.push_back(at);
  }
  return sent;
}

} // namespace

TEST_CASE("keepalive_scheduler: no indication while traffic flows") {
  tern::random_source rng{tern::test::seed()};
  keepalive_scheduler k{rng};
  k.start(t0);
  // A packet every 2 s for 10 minutes: the deadline keeps moving.
  for (time_point now = t0; now < t0 + 10min; now += 2s) {
    CHECK(advance(k, now).empty());
    k.on_traffic_sent(now);
  }
  // Even a packet every 14.9 s (just under the shortest possible wait) suffices.
  for (time_point now = t0 + 10min; now < t0 + 20min; now += 14900ms) {
    CHECK(advance(k, now).empty());
    k.on_traffic_sent(now);
  }
}

TEST_CASE("keepalive_scheduler: one indication per interval plus or minus jitter while idle") {
  tern::random_source rng{tern::test::seed()};
  keepalive_scheduler k{rng}; // 25 s +- 5 s
  k.start(t0);
  const time_point last_traffic = t0 + 1s;
  k.on_traffic_sent(last_traffic);
  const auto sent = advance(k, last_traffic + 1h);
  REQUIRE(sent.size() > 100);
  time_point previous = last_traffic;
  duration shortest = 1h, longest = 0s, total = 0s;
  for (const time_point at : sent) {
    const duration gap = at - previous;
    CHECK(gap >= 20s);
    CHECK(gap <= 30s);
    shortest = std::min(shortest, gap);
    longest = std::max(longest, gap);
    total += gap;
    previous = at;
  }
  // The jitter is real: the gaps spread over most of the 10 s window, and
  // average 25 s (sd of the mean of ~144 uniform gaps is ~0.24 s).
  CHECK(longest - shortest > 8s);
  const double mean_s = std::chrono::duration<double>(total).count() / static_cast<double>(sent.size());
  CHECK(mean_s > 24.0);
  CHECK(mean_s < 26.0);
}

TEST_CASE("keepalive_scheduler: keepalives stop when traffic resumes and come back when it stops") {
  tern::random_source rng{tern::test::seed()};
  keepalive_options o;
  o.interval = 15s;
  o.jitter = 0s;
  keepalive_scheduler k{rng, o};
  k.start(t0);
  CHECK(advance(k, t0 + 60s).size() == 4); // 15, 30, 45, 60
  for (time_point now = t0 + 61s; now <= t0 + 120s; now += 5s) {
    CHECK(advance(k, now).empty());
    k.on_traffic_sent(now);
  }
  // Last traffic at 116 s: next indications at 131, 146.
  const auto sent = advance(k, t0 + 150s);
  REQUIRE(sent.size() == 2);
  CHECK(sent[0] == t0 + 131s);
  CHECK(sent[1] == t0 + 146s);
}

TEST_CASE("keepalive_scheduler: received traffic counts only with inbound_refreshes") {
  tern::random_source rng{tern::test::seed()};
  keepalive_options o;
  o.interval = 20s;
  o.jitter = 0s;
  keepalive_scheduler outbound_only{rng, o};
  o.inbound_refreshes = true;
  keepalive_scheduler both{rng, o};
  outbound_only.start(t0);
  both.start(t0);
  for (time_point now = t0; now <= t0 + 60s; now += 1s) {
    outbound_only.on_traffic_received(now);
    both.on_traffic_received(now);
  }
  CHECK(advance(outbound_only, t0 + 60s).size() == 3);
  CHECK(advance(both, t0 + 60s).empty());
}

TEST_CASE("keepalive_scheduler: settings are clamped to 15-30 s") {
  tern::random_source rng{tern::test::seed()};
  keepalive_options o;
  o.interval = 5s;
  o.jitter = 10s;
  keepalive_scheduler low{rng, o};
  CHECK(low.interval() == 15s);
  CHECK(low.jitter() == 0s);
  o.interval = 2min;
  keepalive_scheduler high{rng, o};
  CHECK(high.interval() == 30s);
  CHECK(high.jitter() == 0s);
  o.interval = 18s;
  o.jitter = 10s;
  keepalive_scheduler mid{rng, o};
  CHECK(mid.jitter() == 3s);
  mid.start(t0);
  for (int i = 0; i < 200; ++i) {
    const auto sent = advance(mid, mid.next_timeout());
    REQUIRE(sent.size() == 1);
    CHECK(mid.current_wait() >= 15s);
    CHECK(mid.current_wait() <= 21s);
  }
  o.interval = 25s;
  o.jitter = -3s;
  keepalive_scheduler negative{rng, o};
  CHECK(negative.jitter() == 0s);
}

TEST_CASE("keepalive_scheduler: stopped means never, start re-arms") {
  tern::random_source rng{tern::test::seed()};
  keepalive_scheduler k{rng};
  CHECK_FALSE(k.running());
  CHECK(k.next_timeout() == tern::never);
  CHECK_FALSE(k.on_timeout(t0 + 1h));
  k.start(t0);
  CHECK(k.running());
  CHECK(k.next_timeout() >= t0 + 20s);
  CHECK(k.next_timeout() <= t0 + 30s);
  CHECK_FALSE(k.on_timeout(t0 + 19s));
  k.stop();
  CHECK(k.next_timeout() == tern::never);
  CHECK(advance(k, t0 + 1h).empty());
}

TEST_CASE("keepalive_scheduler: the same seed gives the same schedule") {
  tern::random_source a{tern::test::seed()}, b{tern::test::seed()};
  keepalive_scheduler ka{a}, kb{b};
  ka.start(t0);
  kb.start(t0);
  CHECK(advance(ka, t0 + 30min) == advance(kb, t0 + 30min));
}

TEST_CASE("keepalive_scheduler: the Binding Indication is a valid STUN indication with FINGERPRINT") {
  std::array<std::byte, 64> buf{};
  const auto id = test::make_id(9);
  const auto bytes = write_binding_indication(buf, id);
  REQUIRE(bytes.size() == 28);
  message m;
  REQUIRE_FALSE(decode(bytes, m));
  CHECK(m.cls == message_class::indication);
  CHECK(m.method == method::binding);
  CHECK(m.id == id);
  CHECK(m.fingerprint_offset == 20);
  std::array<std::byte, 27> small{};
  CHECK(write_binding_indication(small, id).empty());
}
