// The sender's block_encoder and the receiver's block_decoder together:
// payloads of different lengths go in, the REPAIR frames the encoder queues
// come out, the decoder rebuilds whatever the block lost within its
// strength - and nothing a lying or inconsistent repair says makes it
// hold more, decode twice, or hand back a payload the symbol cannot hold.

#include <doctest/doctest.h>

#include "support/seed.hpp"

#include "fec/block_decoder.hpp"
#include "fec/block_encoder.hpp"

#include <tern/random.hpp>

#include <bit>
#include <map>
#include <vector>

using namespace tern;
using namespace tern::fec;

namespace {

using bytes = std::vector<std::byte>;

struct sent_block {
  std::map<std::uint64_t, bytes> sources; // by packet number
  std::vector<wire::repair_frame> repairs;
  std::vector<bytes> symbols; // backing the repairs' spans
};

sent_block encode_block(const std::vector<std::uint64_t>& numbers, std::size_t repairs, random_source& rng) {
  block_encoder enc;
  sent_block b;
  for (auto n : numbers) {
    bytes p(1 + rng.next_u64() % 1200);
    rng.fill(p);
    REQUIRE(enc.fits(n));
    REQUIRE(enc.add_source(n, p));
    b.sources[n] = p;
  }
  enc.close_block(repairs);
  while (const auto* f = enc.next_repair()) {
    b.symbols.emplace_back(f->symbol.begin(), f->symbol.end());
    b.repairs.push_back(*f);
    enc.pop_repair();
  }
  for (std::size_t i = 0; i < b.repairs.size(); ++i) b.repairs[i].symbol = b.symbols[i];
  return b;
}

} // namespace

TEST_CASE("block codec: every loss pattern within the block's strength is rebuilt, from any repairs that arrive") {
  random_source rng(tern::test::seed());
  const std::vector<std::uint64_t> numbers = {100, 101, 103, 104, 110, 130};
  const std::size_t m = 3;
  const sent_block b = encode_block(numbers, m, rng);
  REQUIRE(b.repairs.size() == m);
  const time_point t0{};
  for (std::uint32_t lost = 0; lost < (1u << numbers.size()); ++lost)
    for (std::uint32_t got = 0; got < (1u << m); ++got) {
      CAPTURE(lost);
      CAPTURE(got);
      block_decoder dec;
      for (std::size_t i = 0; i < numbers.size(); ++i)
        if (!((lost >> i) & 1)) dec.on_source_received(numbers[i], b.sources.at(numbers[i]), t0);
      for (std::size_t r = 0; r < m; ++r)
        if ((got >> r) & 1) dec.on_repair(b.repairs[r], t0);
      std::map<std::uint64_t, bytes> rebuilt;
      while (auto p = dec.pop_recovered()) rebuilt[p->number] = p->payload;
      if (std::popcount(lost) > std::popcount(got)) {
        CHECK(rebuilt.empty());
        continue;
      }
      CHECK(rebuilt.size() == static_cast<std::size_t>(std::popcount(lost)));
      for (const auto& [n, p] : rebuilt) CHECK(p == b.sources.at(n));
    }
}

TEST_CASE("block codec: the encoder keeps a block within 32 sources and 64 packet numbers") {
  block_encoder enc;
  bytes p(10);
  REQUIRE(enc.add_source(1000, p));
  CHECK(enc.fits(1063));
  CHECK_FALSE(enc.fits(1064)); // beyond the mask
  CHECK_FALSE(enc.fits(1000)); // numbers only grow
  for (std::uint64_t n = 1001; n < 1032; ++n) REQUIRE(enc.add_source(n, p));
  CHECK(enc.open_sources() == 32);
  CHECK_FALSE(enc.fits(1032));
  CHECK_FALSE(enc.add_source(1032, p));
  enc.close_block(100); // clamped to the wire's 16
  CHECK(enc.queued_repairs() == 16);
  CHECK(enc.next_repair()->repair_count == 16);
  CHECK(enc.next_repair()->source_mask == 0xffff'ffff);
  // A payload too long to be a source is refused.
  CHECK_FALSE(enc.add_source(2000, bytes(wire::repair_bounds::max_symbol_length - 1)));
  // Closing more blocks than the queue holds drops the oldest repairs.
  for (std::uint64_t b = 0; b < 4; ++b) {
    REQUIRE(enc.add_source(3000 + b * 100, p));
    enc.close_block(16);
  }
  CHECK(enc.queued_repairs() == block_encoder::max_queued_repairs);
}

TEST_CASE("block codec: inconsistent, repeated or lying repairs are ignored and never decoded twice") {
  random_source rng(tern::test::seed() + 1);
  const sent_block b = encode_block({10, 11, 12, 13}, 2, rng);
  const time_point t0{};
  SUBCASE("a symbol that disagrees with the block's first one") {
    block_decoder dec;
    dec.on_source_received(10, b.sources.at(10), t0);
    dec.on_source_received(11, b.sources.at(11), t0);
    dec.on_repair(b.repairs[0], t0);
    auto other = b.repairs[1];
    other.source_mask = 0b111; // another block description, same first packet
    dec.on_repair(other, t0);
    dec.on_repair(b.repairs[0], t0); // the same index again
    CHECK_FALSE(dec.pop_recovered());
    CHECK(dec.stats().repairs_ignored == 2);
    dec.on_repair(b.repairs[1], t0); // the real second symbol completes it
    int n = 0;
    while (auto p = dec.pop_recovered()) {
      CHECK(p->payload == b.sources.at(p->number));
      ++n;
    }
    CHECK(n == 2);
    dec.on_repair(b.repairs[1], t0); // after decoding: ignored
    CHECK_FALSE(dec.pop_recovered());
    CHECK(dec.stats().blocks_decoded == 1);
  }
  SUBCASE("a symbol with other bytes rebuilds garbage whose length the symbol cannot hold: nothing is handed on") {
    block_decoder dec;
    for (std::uint64_t n : {11, 12, 13}) dec.on_source_received(n, b.sources.at(n), t0);
    auto lie = b.repairs[0];
    bytes junk(lie.symbol.size(), std::byte{0xff});
    lie.symbol = junk;
    dec.on_repair(lie, t0);
    // The rebuilt length prefix is whatever the lie makes it; either it
    // exceeds the symbol (ignored) or it is handed on for the frame parser
    // to judge, never beyond the symbol.
    while (auto p = dec.pop_recovered()) CHECK(p->payload.size() + 2 <= lie.symbol.size());
    CHECK(dec.stats().blocks_decoded <= 1);
  }
  SUBCASE("held payloads and blocks expire after max_hold") {
    block_decoder dec;
    dec.on_source_received(10, b.sources.at(10), t0);
    dec.on_source_received(11, b.sources.at(11), t0);
    dec.on_source_received(12, b.sources.at(12), t0);
    dec.on_repair(b.repairs[0], t0 + block_decoder::max_hold + std::chrono::milliseconds(1));
    // The held sources are too old now: four missing, one repair.
    CHECK_FALSE(dec.pop_recovered());
  }
  SUBCASE("at most max_blocks blocks wait at once") {
    block_decoder dec;
    for (std::uint64_t first = 0; first < 10 * 64; first += 64) {
      auto f = b.repairs[0];
      f.first_packet = 1000 + first;
      dec.on_repair(f, t0);
    }
    // The first ones were evicted: their second symbol starts a new block
    // of one symbol rather than completing anything.
    auto f = b.repairs[1];
    f.first_packet = 1000;
    dec.on_repair(f, t0);
    CHECK_FALSE(dec.pop_recovered());
  }
}

TEST_CASE("block codec: interleaved repair arriving among the next block's packets, a span later, still rebuilds") {
  random_source rng(tern::test::seed());
  // A block over packets 0..63 (every other number: 32 sources); its
  // repair arrives after the receiver already held the next 63 packets'
  // payloads, as interleaved repair does (docs/fec.md, "Bursty loss").
  std::vector<std::uint64_t> numbers;
  for (std::uint64_t n = 0; n < 64; n += 2) numbers.push_back(n);
  const sent_block b = encode_block(numbers, 4, rng);
  const time_point t0{};
  block_decoder dec;
  for (auto n : numbers)
    if (n != 0 && n != 2 && n != 62) dec.on_source_received(n, b.sources.at(n), t0); // a burst and one more
  bytes later(500);
  for (std::uint64_t n = 64; n < 127; ++n) dec.on_source_received(n, later, t0);
  for (std::size_t r = 0; r < 3; ++r) dec.on_repair(b.repairs[r], t0);
  std::map<std::uint64_t, bytes> rebuilt;
  while (auto p = dec.pop_recovered()) rebuilt[p->number] = p->payload;
  REQUIRE(rebuilt.size() == 3);
  for (const auto& [n, p] : rebuilt) CHECK(p == b.sources.at(n));
}
