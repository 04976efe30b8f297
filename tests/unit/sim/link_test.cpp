// Behaviour of one link, packet by packet (the statistical properties are in
// link_statistics_test.cpp).

#include "sim/link.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <stdexcept>

#include "link_driver.hpp"
#include "support/seed.hpp"

using namespace std::chrono_literals;
using tern::time_point;
using tern::sim::packet_fate;
using tern::sim::test::link_driver;
using tern::sim::test::spec_of;

namespace {
const time_point t0 = time_point{} + 1s;
}

TEST_CASE("a perfect link delivers at once, in order") {
  link_driver d(spec_of(""), tern::test::seed());
  for (std::uint64_t i = 0; i < 10; ++i) d.offer(i, 100, t0 + i * 1ms);
  d.finish();
  REQUIRE(d.exits.size() == 10);
  for (std::uint64_t i = 0; i < 10; ++i) {
    CHECK(d.exits[i].id == i);
    CHECK(d.exits[i].at == t0 + i * 1ms);
  }
}

TEST_CASE("constant delay shifts every packet by exactly the delay") {
  link_driver d(spec_of("delay 40ms"), tern::test::seed());
  for (std::uint64_t i = 0; i < 100; ++i) d.offer(i, 100, t0 + i * 100us);
  d.finish();
  REQUIRE(d.exits.size() == 100);
  for (std::uint64_t i = 0; i < 100; ++i) CHECK(d.exits[i].at == t0 + i * 100us + 40ms);
  CHECK(d.link().stats().delay_max == 40ms);
}

TEST_CASE("rate serializes back-to-back packets at exactly size * 8 / rate") {
  // 1000 bytes at 8 Mbit/s = 1 ms each.
  link_driver d(spec_of("rate 8mbit"), tern::test::seed());
  for (std::uint64_t i = 0; i < 10; ++i) d.offer(i, 1000, t0);
  d.finish();
  REQUIRE(d.exits.size() == 10);
  for (std::uint64_t i = 0; i < 10; ++i) CHECK(d.exits[i].at == t0 + (i + 1) * 1ms);
  CHECK(d.exits[9].info.queue_delay == 9ms);
  CHECK(d.link().stats().queue_delay_max == 9ms);
}

TEST_CASE("rate counts packet overhead and whole cells") {
  SUBCASE("overhead") {
    // (972 + 28) bytes at 8 Mbit/s = 1 ms.
    link_driver d(spec_of("rate 8mbit 28"), tern::test::seed());
    d.offer(0, 972, t0);
    d.finish();
    CHECK(d.exits.at(0).at == t0 + 1ms);
  }
  SUBCASE("cells") {
    // 100 bytes in 48-byte cells = 3 cells of 48 + 5 = 159 bytes = 1272 bits at 1 Mbit/s.
    link_driver d(spec_of("rate 1mbit 0 48 5"), tern::test::seed());
    d.offer(0, 100, t0);
    d.finish();
    CHECK(d.exits.at(0).at == t0 + 1272us);
  }
}

TEST_CASE("rate and delay: serialization is added after the delay, queueing absorbs it") {
  link_driver d(spec_of("delay 10ms rate 8mbit"), tern::test::seed());
  d.offer(0, 1000, t0);
  d.offer(1, 1000, t0);
  d.offer(2, 1000, t0 + 20ms); // the queue has emptied by then
  d.finish();
  REQUIRE(d.exits.size() == 3);
  CHECK(d.exits[0].at == t0 + 11ms);
  CHECK(d.exits[1].at == t0 + 12ms);
  CHECK(d.exits[2].at == t0 + 31ms);
}

TEST_CASE("limit tail-drops packets beyond what the link holds") {
  link_driver d(spec_of("rate 1mbit limit 10"), tern::test::seed());
  int dropped = 0;
  for (std::uint64_t i = 0; i < 100; ++i)
    if (d.offer(i, 1000, t0).original.fate == packet_fate::dropped_limit) ++dropped;
  CHECK(dropped == 90);
  d.finish();
  REQUIRE(d.exits.size() == 10);
  for (std::uint64_t i = 0; i < 10; ++i) CHECK(d.exits[i].id == i); // the tail was dropped
  CHECK(d.link().stats().dropped_limit == 90);
}

TEST_CASE("netem's limit counts delayed packets too") {
  link_driver d(spec_of("delay 100ms limit 5"), tern::test::seed());
  for (std::uint64_t i = 0; i < 8; ++i) d.offer(i, 100, t0 + i * 1ms);
  d.finish();
  CHECK(d.exits.size() == 5);
}

TEST_CASE("loss 100% drops everything, loss 0% nothing") {
  link_driver all(spec_of("loss 100%"), tern::test::seed());
  link_driver none(spec_of("loss 0%"), tern::test::seed());
  for (std::uint64_t i = 0; i < 1000; ++i) {
    CHECK(all.offer(i, 10, t0).original.fate == packet_fate::lost);
    CHECK(none.offer(i, 10, t0).original.fate == packet_fate::queued);
  }
  all.finish();
  none.finish();
  CHECK(all.exits.empty());
  CHECK(none.exits.size() == 1000);
}

TEST_CASE("ecn marks instead of dropping") {
  link_driver d(spec_of("loss 100% ecn"), tern::test::seed());
  for (std::uint64_t i = 0; i < 10; ++i) CHECK(d.offer(i, 10, t0).original.ce_marked);
  d.finish();
  REQUIRE(d.exits.size() == 10);
  CHECK(d.exits[0].info.ce_marked);
  CHECK(d.link().stats().ce_marked == 10);
  CHECK(d.link().stats().lost == 0);
}

TEST_CASE("duplicate 100% delivers every packet twice, each copy delayed on its own") {
  link_driver d(spec_of("delay 10ms 5ms duplicate 100%"), tern::test::seed());
  for (std::uint64_t i = 0; i < 200; ++i) {
    const auto o = d.offer(i, 50, t0 + i * 20ms);
    CHECK(o.duplicated);
  }
  d.finish();
  REQUIRE(d.exits.size() == 400);
  int different = 0;
  for (std::size_t k = 0; k < 400; k += 2) {
    CHECK(d.exits[k].id == d.exits[k + 1].id);
    if (d.exits[k].at != d.exits[k + 1].at) ++different;
  }
  CHECK(different > 150); // independent jitter draws
}

TEST_CASE("corruption flips exactly one bit") {
  link_driver d(spec_of("corrupt 100%"), tern::test::seed(), true);
  for (std::uint64_t i = 0; i < 500; ++i) CHECK(d.offer(i, 64, t0).original.corrupted);
  d.finish();
  REQUIRE(d.exits.size() == 500);
  for (const auto& e : d.exits) {
    int bits = 0;
    for (std::size_t i = 0; i < e.payload.size(); ++i)
      bits += std::popcount(static_cast<unsigned>(static_cast<std::uint8_t>(e.payload[i]) ^
                                                  static_cast<std::uint8_t>(e.id + i)));
    CHECK(bits == 1);
  }
}

TEST_CASE("reorder 100% with gap 3: every third packet jumps the queue") {
  link_driver d(spec_of("delay 10ms reorder 100% gap 3"), tern::test::seed());
  for (std::uint64_t i = 0; i < 9; ++i) {
    const auto o = d.offer(i, 10, t0 + i * 1ms);
    // netem: the first gap - 1 packets after a reorder are delayed.
    CHECK(o.original.reordered == (i % 3 == 2));
  }
  d.finish();
  REQUIRE(d.exits.size() == 9);
  CHECK(d.exits[0].id == 2); // sent at once, ahead of packets 0 and 1
  CHECK(d.exits[0].at == t0 + 2ms);
  CHECK(d.link().stats().reordered == 3);
  CHECK(d.link().stats().out_of_order > 0);
}

TEST_CASE("jitter alone reorders packets: the queue is sorted by due time") {
  link_driver d(spec_of("delay 10ms 9ms"), tern::test::seed());
  for (std::uint64_t i = 0; i < 1000; ++i) d.offer(i, 10, t0 + i * 100us);
  d.finish();
  REQUIRE(d.exits.size() == 1000);
  CHECK(std::is_sorted(d.exits.begin(), d.exits.end(), [](auto& a, auto& b) { return a.at < b.at; }));
  CHECK(d.link().stats().out_of_order > 100);
}

TEST_CASE("rate keeps jittered packets in order") {
  link_driver d(spec_of("delay 10ms 9ms rate 100mbit"), tern::test::seed());
  for (std::uint64_t i = 0; i < 1000; ++i) d.offer(i, 100, t0 + i * 100us);
  d.finish();
  REQUIRE(d.exits.size() == 1000);
  for (std::uint64_t i = 0; i < 1000; ++i) CHECK(d.exits[i].id == i);
}

TEST_CASE("slot releases packets in bursts of at most N per slot") {
  link_driver d(spec_of("slot 10ms packets 2"), tern::test::seed());
  for (std::uint64_t i = 0; i < 10; ++i) d.offer(i, 100, t0);
  d.finish();
  REQUIRE(d.exits.size() == 10);
  // The idle link's first slot opens 10 ms after the packets are ready, then
  // every 10 ms, two packets each.
  for (std::size_t i = 0; i < 10; ++i) CHECK(d.exits[i].at == t0 + (1 + i / 2) * 10ms);
}

TEST_CASE("slot with a byte budget") {
  link_driver d(spec_of("slot 5ms bytes 1000"), tern::test::seed());
  for (std::uint64_t i = 0; i < 6; ++i) d.offer(i, 400, t0);
  d.finish();
  REQUIRE(d.exits.size() == 6);
  // 400 + 400 + 400 crosses 1000 on the third packet, which closes the slot.
  CHECK(d.exits[2].at == d.exits[0].at);
  CHECK(d.exits[3].at == d.exits[0].at + 5ms);
}

TEST_CASE("set_spec changes the impairment for new packets only") {
  link_driver d(spec_of("delay 50ms"), tern::test::seed());
  d.offer(0, 10, t0);
  d.link().set_spec(spec_of("delay 10ms"));
  d.offer(1, 10, t0 + 1ms);
  d.finish();
  REQUIRE(d.exits.size() == 2);
  CHECK(d.exits[0].id == 1);
  CHECK(d.exits[0].at == t0 + 11ms);
  CHECK(d.exits[1].at == t0 + 50ms);
}

TEST_CASE("dequeue before the due time returns nothing") {
  link_driver d(spec_of("delay 5ms"), tern::test::seed());
  d.offer(0, 10, t0);
  tern::sim::packet p;
  CHECK_FALSE(d.link().dequeue(t0 + 4ms, p));
  CHECK(d.link().next_event() == t0 + 5ms);
  CHECK(d.link().dequeue(t0 + 5ms, p));
  CHECK(p.id == 0);
  CHECK(d.link().next_event() == tern::never);
}

TEST_CASE("a link's decisions depend only on its seed") {
  auto run = [](std::uint64_t seed) {
    link_driver d(spec_of("delay 20ms 10ms 30% distribution paretonormal loss gemodel 5% 30% duplicate 3% "
                          "reorder 5% corrupt 2% rate 50mbit"),
                  seed, true);
    for (std::uint64_t i = 0; i < 5000; ++i) d.offer(i, 200 + i % 700, time_point{} + i * 50us);
    d.finish();
    std::uint64_t h = 1469598103934665603ULL;
    for (const auto& e : d.exits) {
      h = (h ^ e.id) * 1099511628211ULL;
      h = (h ^ static_cast<std::uint64_t>(e.at.time_since_epoch().count())) * 1099511628211ULL;
      for (auto b : e.payload) h = (h ^ static_cast<std::uint8_t>(b)) * 1099511628211ULL;
    }
    return h;
  };
  CHECK(run(tern::test::seed()) == run(tern::test::seed()));
  CHECK(run(tern::test::seed()) != run(tern::test::seed() + 1));
}

TEST_CASE("spec seed overrides the link seed") {
  auto first_exit = [](std::uint64_t seed) {
    link_driver d(spec_of("delay 10ms 5ms seed 99"), seed);
    d.offer(0, 10, t0);
    d.finish();
    return d.exits.at(0).at;
  };
  CHECK(first_exit(1) == first_exit(2));
}
