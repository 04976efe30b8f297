#include <doctest/doctest.h>

#include "recovery/ack_tracker.hpp"

#include "support/seed.hpp"

#include <tern/random.hpp>

#include <algorithm>
#include <set>
#include <vector>

using namespace std::chrono_literals;
using tern::never;
using tern::time_point;
using tern::recovery::ack_info;
using tern::recovery::ack_range;
using tern::recovery::ack_tracker;
using tern::recovery::ack_tracker_config;
using tern::recovery::ecn_mark;

namespace {

const time_point t0 = time_point{} + 1s;

std::vector<ack_range> ranges_of(const ack_info& ack) { return {ack.ranges().begin(), ack.ranges().end()}; }

} // namespace

TEST_CASE("ack_tracker: one ack-eliciting packet is acknowledged within max_ack_delay") {
  ack_tracker tracker;
  CHECK(tracker.ack_deadline() == never);
  CHECK(tracker.on_packet_received(0, true, t0));
  CHECK(tracker.has_unacknowledged());
  CHECK(tracker.ack_deadline() == t0 + 25ms);
  CHECK_FALSE(tracker.ack_due(t0 + 24ms));
  CHECK(tracker.ack_due(t0 + 25ms));
}

TEST_CASE("ack_tracker: every second ack-eliciting packet makes the ACK due at once") {
  ack_tracker tracker;
  tracker.on_packet_received(0, true, t0);
  tracker.on_packet_received(1, true, t0 + 1ms);
  CHECK(tracker.ack_deadline() == t0 + 1ms);
  ack_info ack;
  REQUIRE(tracker.build_ack(t0 + 3ms, ack));
  CHECK(ranges_of(ack) == std::vector<ack_range>{{0, 1}});
  CHECK(ack.ack_delay == 2ms);
  CHECK(tracker.ack_deadline() == never);
  CHECK_FALSE(tracker.has_unacknowledged());
}

TEST_CASE("ack_tracker: packets that are not ack-eliciting are acknowledged but set no deadline") {
  ack_tracker tracker;
  tracker.on_packet_received(0, false, t0);
  tracker.on_packet_received(1, false, t0);
  tracker.on_packet_received(2, false, t0);
  CHECK(tracker.ack_deadline() == never);
  CHECK(tracker.has_unacknowledged());
  ack_info ack;
  REQUIRE(tracker.build_ack(t0, ack));
  CHECK(ranges_of(ack) == std::vector<ack_range>{{0, 2}});
}

TEST_CASE("ack_tracker: a gap makes the ACK due immediately") {
  ack_tracker tracker;
  tracker.on_packet_received(0, true, t0);
  ack_info ack;
  tracker.build_ack(t0, ack);
  tracker.on_packet_received(2, true, t0 + 1ms); // 1 missing
  CHECK(tracker.ack_deadline() == t0 + 1ms);
  tracker.build_ack(t0 + 1ms, ack);
  CHECK(ranges_of(ack) == std::vector<ack_range>{{2, 2}, {0, 0}});
}

TEST_CASE("ack_tracker: a reordered packet is acknowledged immediately and merges ranges") {
  ack_tracker tracker;
  ack_info ack;
  tracker.on_packet_received(0, true, t0);
  tracker.on_packet_received(2, true, t0);
  tracker.build_ack(t0, ack);
  tracker.on_packet_received(3, true, t0 + 1ms);
  CHECK(tracker.ack_deadline() == t0 + 1ms + 25ms);
  tracker.on_packet_received(1, true, t0 + 2ms); // late
  CHECK(tracker.ack_deadline() == t0 + 2ms);
  CHECK(tracker.range_count() == 1);
  tracker.build_ack(t0 + 2ms, ack);
  CHECK(ranges_of(ack) == std::vector<ack_range>{{0, 3}});
  // The ack delay is measured from the largest packet's arrival.
  CHECK(ack.ack_delay == 1ms);
}

TEST_CASE("ack_tracker: duplicates are refused and change nothing") {
  ack_tracker tracker;
  CHECK(tracker.on_packet_received(5, true, t0));
  CHECK(tracker.on_packet_received(7, true, t0));
  CHECK_FALSE(tracker.on_packet_received(5, true, t0));
  CHECK_FALSE(tracker.on_packet_received(7, false, t0));
  CHECK(tracker.contains(5));
  CHECK_FALSE(tracker.contains(6));
  CHECK(tracker.range_count() == 2);
}

TEST_CASE("ack_tracker: a CE mark makes the ACK due at once and is counted") {
  ack_tracker tracker;
  tracker.on_packet_received(0, true, t0, ecn_mark::ect0);
  CHECK(tracker.ack_deadline() == t0 + 25ms);
  ack_info ack;
  tracker.build_ack(t0, ack);
  tracker.on_packet_received(1, true, t0 + 1ms, ecn_mark::ce);
  CHECK(tracker.ack_deadline() == t0 + 1ms);
  tracker.build_ack(t0 + 1ms, ack);
  CHECK(ack.has_ecn);
  CHECK(ack.ecn.ect0 == 1);
  CHECK(ack.ecn.ce == 1);
}

TEST_CASE("ack_tracker: with more ranges than fit, the ACK carries the most recent ones") {
  ack_tracker tracker;
  for (std::uint64_t i = 0; i < 100; ++i) tracker.on_packet_received(2 * i, true, t0); // 100 single ranges
  ack_info ack;
  REQUIRE(tracker.build_ack(t0, ack));
  REQUIRE(ack.size() == tern::recovery::max_ack_ranges);
  CHECK(ack.ranges()[0] == ack_range{198, 198});
  CHECK(ack.ranges()[63] == ack_range{198 - 2 * 63, 198 - 2 * 63});
  CHECK(ack.valid());
}

TEST_CASE("ack_tracker: ranges the peer has seen acknowledged are no longer reported") {
  ack_tracker tracker;
  for (std::uint64_t pn : {0, 1, 2, 4, 5, 7, 9, 10}) tracker.on_packet_received(pn, true, t0);
  tracker.on_ack_acknowledged(4);
  CHECK(tracker.reported_floor() == 5);
  CHECK(tracker.floor() == 0); // still remembered: duplicates are still recognised
  ack_info ack;
  tracker.build_ack(t0, ack);
  CHECK(ranges_of(ack) == std::vector<ack_range>{{9, 10}, {7, 7}, {5, 5}});
  CHECK_FALSE(tracker.on_packet_received(1, true, t0)); // a duplicate below them
  CHECK(tracker.on_packet_received(8, true, t0));
  // An older acknowledged ACK does not move the reported floor back.
  tracker.on_ack_acknowledged(2);
  CHECK(tracker.reported_floor() == 5);
}

TEST_CASE("ack_tracker: a packet overtaken by more than an ACK's round trip is accepted and reported") {
  // A reordering link let 4..10 overtake 3, and the ACK of an ACK covering
  // them came back before 3 arrived. 3 is new data, not a duplicate.
  ack_tracker tracker;
  for (std::uint64_t pn : {0, 1, 2, 4, 5, 6, 7, 8, 9, 10}) tracker.on_packet_received(pn, true, t0);
  tracker.on_ack_acknowledged(10);
  ack_info ack;
  CHECK_FALSE(tracker.build_ack(t0, ack)); // nothing the peer has not seen
  CHECK(tracker.on_packet_received(3, true, t0));
  REQUIRE(tracker.build_ack(t0, ack));
  CHECK(ranges_of(ack) == std::vector<ack_range>{{3, 10}});
  CHECK_FALSE(tracker.on_packet_received(3, true, t0)); // and only once
}

TEST_CASE("ack_tracker: beyond max_tracked_ranges the oldest range is forgotten") {
  ack_tracker_config config;
  config.max_tracked_ranges = 4;
  ack_tracker tracker{config};
  for (std::uint64_t pn : {0, 2, 4, 6, 8}) tracker.on_packet_received(pn, true, t0);
  CHECK(tracker.range_count() == 4);
  CHECK(tracker.floor() == 1);
  CHECK_FALSE(tracker.on_packet_received(0, true, t0));
  CHECK(tracker.on_packet_received(1, true, t0)); // above the floor: still accepted
}

TEST_CASE("ack_tracker: randomized arrivals match a set of received numbers") {
  tern::random_source rng{tern::test::seed()};
  ack_tracker_config config;
  config.max_tracked_ranges = 4096; // never forget anything here
  ack_tracker tracker{config};
  std::set<std::uint64_t> received;
  for (int i = 0; i < 5000; ++i) {
    const std::uint64_t pn = rng.uniform(3000);
    const bool fresh = received.insert(pn).second;
    CHECK(tracker.on_packet_received(pn, rng.uniform(2) == 0, t0) == fresh);
  }
  for (std::uint64_t pn = 0; pn < 3000; ++pn) CHECK(tracker.contains(pn) == (received.count(pn) == 1));
  ack_info ack;
  REQUIRE(tracker.build_ack(t0, ack));
  CHECK(ack.valid());
  CHECK(ack.largest() == *received.rbegin());
  for (const auto& r : ack.ranges())
    for (std::uint64_t pn = r.smallest; pn <= r.largest; ++pn) CHECK(received.count(pn) == 1);
}
