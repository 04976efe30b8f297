#include <doctest/doctest.h>

#include "support/seed.hpp"
#include "wire/packet_number.hpp"

#include <tern/random.hpp>

#include <algorithm>
#include <numeric>
#include <vector>

using namespace tern::wire;

TEST_CASE("packet_number: truncation keeps the low 16 bits") {
  CHECK(truncate_packet_number(0) == 0);
  CHECK(truncate_packet_number(0xffff) == 0xffff);
  CHECK(truncate_packet_number(0x10000) == 0);
  CHECK(truncate_packet_number(0xa82f9b32) == 0x9b32);
  CHECK(max_unacknowledged_packets == 32768u);
}

TEST_CASE("packet_number: expansion follows RFC 9000 A.3 with a 16-bit window") {
  // The RFC's example, with its 16-bit truncation.
  CHECK(expand_packet_number(0x9b32, 0xa82f30ea) == 0xa82f9b32);
  // Nothing received yet: the number is taken as is.
  CHECK(expand_packet_number(0, std::nullopt) == 0);
  CHECK(expand_packet_number(5, std::nullopt) == 5);
  CHECK(expand_packet_number(0x7fff, std::nullopt) == 0x7fff);
  // In order.
  CHECK(expand_packet_number(11, 10) == 11);
  // Never expands below zero.
  CHECK(expand_packet_number(0xffff, 10) == 0xffff);
  CHECK(expand_packet_number(0xfff0, 0) == 0xfff0);
}

TEST_CASE("packet_number: expansion across the 16-bit wrap-around") {
  CHECK(expand_packet_number(0, 65535) == 65536);
  CHECK(expand_packet_number(1, 65535) == 65537);
  CHECK(expand_packet_number(0xffff, 65536) == 65535);     // late packet from before the wrap
  CHECK(expand_packet_number(0x8000, 65535) == 0x18000);   // exactly half a window ahead
  CHECK(expand_packet_number(0x8001, 65535) == 0x8001);    // beyond half a window: an old one
  CHECK(expand_packet_number(0xfffe, 3 * 65536 + 2) == 3 * 65536 - 2);
  CHECK(expand_packet_number(3, 5 * 65536 - 3) == 5 * 65536 + 3);
}

TEST_CASE("packet_number: expansion at the top of the packet number space") {
  const std::uint64_t top = max_packet_number;
  CHECK(expand_packet_number(truncate_packet_number(top), top - 1) == top);
  // A candidate above 2^62-1 is never chosen.
  CHECK(expand_packet_number(truncate_packet_number(top) , top - 100) == top);
  const std::uint64_t r = expand_packet_number(0, top - 5);
  CHECK(r <= max_packet_number);
}

TEST_CASE("packet_number: random numbers within half a window of the expected one expand exactly") {
  tern::random_source rng{tern::test::seed()};
  for (int i = 0; i < 200'000; ++i) {
    const std::uint64_t largest = rng.uniform(max_packet_number - 2 * packet_number_window) + packet_number_window;
    const std::uint64_t expected = largest + 1;
    // expected - 2^15 < pn <= expected + 2^15
    const std::uint64_t pn = expected - (max_unacknowledged_packets - 1) + rng.uniform(packet_number_window);
    CAPTURE(largest);
    CAPTURE(pn);
    REQUIRE(expand_packet_number(truncate_packet_number(pn), largest) == pn);
  }
}

TEST_CASE("packet_number: may_send enforces fewer than 2^15 unacknowledged packets") {
  CHECK(may_send_packet_number(0, std::nullopt));
  CHECK(may_send_packet_number(32766, std::nullopt));
  CHECK_FALSE(may_send_packet_number(32767, std::nullopt));
  CHECK(may_send_packet_number(100 + 32767, 100));
  CHECK_FALSE(may_send_packet_number(100 + 32768, 100));
  CHECK_FALSE(may_send_packet_number(100, 100));
  CHECK_FALSE(may_send_packet_number(max_packet_number + 1, max_packet_number));
}

// The contract between may_send_packet_number and expand_packet_number: if
// every packet was sent while may_send allowed it, then whatever the
// receiver's largest received number R (between the largest acknowledged L
// and the largest sent S), every unacknowledged packet expands correctly,
// whichever order they arrive in.
TEST_CASE("packet_number: whatever a sender may send expands correctly under any reordering") {
  tern::random_source rng{tern::test::seed() ^ 0x5eed};
  for (int i = 0; i < 100'000; ++i) {
    const bool none_acked = rng.uniform(8) == 0;
    const std::uint64_t base = rng.uniform(std::uint64_t{1} << 40);
    const std::optional<std::uint64_t> acked = none_acked ? std::nullopt : std::optional{base};
    const std::uint64_t first_unacked = acked ? *acked + 1 : 0;
    // Largest sendable S, then any R in [L, S] and any pn in (L, S].
    std::uint64_t sent = first_unacked + rng.uniform(max_unacknowledged_packets);
    while (!may_send_packet_number(sent, acked)) --sent;
    const std::uint64_t received =
        acked ? *acked + rng.uniform(sent - *acked + 1) : rng.uniform(sent + 1);
    const std::uint64_t pn = first_unacked + rng.uniform(sent - first_unacked + 1);
    CAPTURE(sent);
    CAPTURE(received);
    CAPTURE(pn);
    REQUIRE(expand_packet_number(truncate_packet_number(pn), received) == pn);
  }
}

TEST_CASE("packet_number: one packet past the limit makes expansion ambiguous") {
  // L acknowledged, then 2^15 packets sent; the receiver has the newest
  // while the oldest unacknowledged one is still in flight.
  const std::uint64_t acked = 1'000'000;
  const std::uint64_t sent = acked + max_unacknowledged_packets;
  CHECK_FALSE(may_send_packet_number(sent, acked));
  CHECK(expand_packet_number(truncate_packet_number(acked + 1), sent) != acked + 1);
}

TEST_CASE("packet_number: a receiver tracking the largest seen decodes a shuffled stream") {
  tern::random_source rng{tern::test::seed() + 7};
  // 200k consecutive packets crossing several wraps, shuffled within blocks
  // of 2^14 (reordering well within the window).
  std::vector<std::uint64_t> order(200'000);
  std::iota(order.begin(), order.end(), std::uint64_t{65000});
  const std::size_t block = 1 << 14;
  for (std::size_t start = 0; start < order.size(); start += block) {
    const std::size_t end = std::min(order.size(), start + block);
    for (std::size_t i = end - 1; i > start; --i) std::swap(order[i], order[start + rng.uniform(i - start + 1)]);
  }
  std::optional<std::uint64_t> largest = 64999; // everything before was received
  for (const std::uint64_t pn : order) {
    const std::uint64_t got = expand_packet_number(truncate_packet_number(pn), largest);
    if (got != pn) {
      CAPTURE(pn);
      REQUIRE(got == pn);
    }
    if (!largest || got > *largest) largest = got;
  }
}
