#include <doctest/doctest.h>

#include "cell_config.hpp"

#include "sim/netem_spec.hpp"
#include "sim/schedule.hpp"

#include <set>

using namespace std::chrono_literals;
using namespace tern::matrix;
namespace cc = tern::cc;

namespace {

path_row row_at(double rate_bps, tern::duration rtt, double queue_bdp) {
  path_row r;
  r.group = "test";
  r.name = "test";
  r.path = {rate_bps, rtt, queue_bdp};
  r.bytes = 1'000'000;
  return r;
}

} // namespace

TEST_CASE("limit: the delay line plus the queue, in packets") {
  // 100 Mbit/s of 1200-byte datagrams is 10416.7 packets/s: 20 ms of delay
  // holds 208.3 of them (209), one 40 ms BDP is 417.
  CHECK(limit_packets({100e6, 40ms, 1.0}) == 209 + 417);
  CHECK(limit_packets({100e6, 40ms, 0.1}) == 209 + 42);
  CHECK(limit_packets({100e6, 40ms, 4.0}) == 209 + 1667);
  // Never less than one packet of queue.
  CHECK(limit_packets({1e6, 2ms, 0.1}) == 1 + 1);
  // A fixed limit is the limit.
  CHECK(limit_packets({100e6, 200ms, 1.0, 1000}) == 1000);
}

TEST_CASE("specs: the rate, half the round trip each way, the impairment last") {
  auto r = row_at(100e6, 20ms, 1);
  r.up_impairment = "reorder 3%";
  r.down_impairment = "loss 20%";
  CHECK(up_spec(r, r.path.rate_bps) == "rate 100mbit delay 10ms limit 313 reorder 3%");
  CHECK(up_spec(r, 10e6) == "rate 10mbit delay 10ms limit 313 reorder 3%");
  CHECK(down_spec(r) == "delay 10ms limit 100000 loss 20%");
  r.up_jitter = "5ms distribution normal";
  CHECK(up_spec(r, 1e9) == "rate 1gbit delay 10ms 5ms distribution normal limit 313 reorder 3%");
  const auto odd = row_at(1.5e6, 3ms, 1);
  CHECK(up_spec(odd, odd.path.rate_bps).starts_with("rate 1500kbit delay 1500us "));
}

TEST_CASE("schedule: a blackout stops both directions, a rate phase sets both specs") {
  auto r = row_at(100e6, 40ms, 1);
  r.phases = {{1500ms, 0}, {3500ms, 10e6}};
  const std::string text = schedule_text(r);
  CHECK(text ==
        "at 1500ms: blackout; at 3500ms up: " + up_spec(r, 10e6) + "; at 3500ms down: " + down_spec(r));
  const auto parsed = tern::sim::parse_schedule(text);
  REQUIRE(parsed);
  CHECK(parsed->entries.size() == 3);
  CHECK(schedule_text(row_at(100e6, 40ms, 1)).empty());
}

TEST_CASE("unimpaired: the impairment, the schedule and a shallow queue are taken away, competitors join") {
  auto r = row_at(100e6, 40ms, 0.1);
  r.up_impairment = "loss 3%";
  r.up_jitter = "5ms";
  r.down_impairment = "slot 10ms";
  r.phases = {{1s, 0}};
  r.path.fixed_limit = 100;
  r.flows = 1;
  r.competitors = 1;
  const auto clean = unimpaired(r);
  CHECK(clean.up_impairment.empty());
  CHECK(clean.up_jitter.empty());
  CHECK(clean.down_impairment.empty());
  CHECK(clean.phases.empty());
  CHECK(clean.path.queue_bdp == 1.0);
  CHECK(clean.path.fixed_limit == 0);
  CHECK(clean.flows == 2);
  CHECK(clean.competitors == 0);
  r.path.queue_bdp = 4;
  CHECK(unimpaired(r).path.queue_bdp == 4.0); // a deep queue is not an impairment
}

TEST_CASE("scenario: the controller under test first, then CUBIC competitors, a bounded time limit") {
  auto r = row_at(100e6, 40ms, 1);
  const auto alone = scenario_for(r, cc::algorithm::new_reno, 7);
  CHECK(alone.algorithm == cc::algorithm::new_reno);
  CHECK(alone.flow_algorithms.empty());
  CHECK(alone.flows == 1);
  CHECK(alone.seed == 7);
  // 8 Mbit at 100 Mbit/s: 0.08 s ideal, so 0.8 s plus 60 round trips.
  const auto expected = 800ms + 60 * 40ms;
  CHECK(std::chrono::abs(alone.time_limit - expected) < 1us);
  r.flows = 2;
  r.competitors = 1;
  const auto mixed = scenario_for(r, cc::algorithm::bbr, 7);
  CHECK(mixed.flows == 3);
  CHECK(mixed.flow_algorithms ==
        std::vector<cc::algorithm>{cc::algorithm::bbr, cc::algorithm::bbr, cc::algorithm::cubic});
}

TEST_CASE("standard rows: unique names, every spec and schedule parses, the issue's groups are there") {
  std::set<std::string> names, groups;
  for (const auto& r : standard_rows()) {
    INFO(r.name);
    CHECK(names.insert(r.name).second);
    groups.insert(r.group);
    CHECK(r.bytes > 0);
    CHECK(tern::sim::parse_netem_spec(up_spec(r, r.path.rate_bps)));
    CHECK(tern::sim::parse_netem_spec(down_spec(r)));
    CHECK(tern::sim::parse_schedule(schedule_text(r)));
  }
  for (const char* g :
       {"reorder", "jitter", "buffer", "loss", "ack path", "schedule", "competition", "sharing", "bdp"})
    CHECK(groups.count(g) == 1);
}
