#include <doctest/doctest.h>

#include "support/seed.hpp"

#include "fec/reed_solomon.hpp"

#include <tern/random.hpp>

#include <bit>
#include <cstdint>
#include <vector>

using tern::fec::decode_sources;
using tern::fec::encode_repairs;
using tern::fec::repair_symbol;

namespace {

using bytes = std::vector<std::byte>;

struct block {
  std::vector<bytes> sources;
  std::vector<bytes> repairs;
};

block make_block(std::size_t k, std::size_t m, std::size_t length, std::uint64_t seed) {
  tern::random_source rng(seed);
  block b;
  b.sources.assign(k, bytes(length));
  b.repairs.assign(m, bytes(length));
  for (auto& s : b.sources) rng.fill(s);
  std::vector<const std::byte*> in;
  for (auto& s : b.sources) in.push_back(s.data());
  std::vector<std::byte*> out;
  for (auto& r : b.repairs) out.push_back(r.data());
  REQUIRE(encode_repairs(in, 0, out, length));
  return b;
}

/// Loses the sources in `lost_mask`, decodes with the repairs in
/// `repair_mask`, and says whether every lost source came back intact.
bool recovers(const block& b, std::uint32_t lost_mask, std::uint32_t repair_mask) {
  const std::size_t k = b.sources.size();
  const std::size_t length = b.sources[0].size();
  std::vector<const std::byte*> in(k);
  std::vector<bytes> rebuilt(k, bytes(length));
  std::vector<std::byte*> out;
  for (std::size_t s = 0; s < k; ++s) {
    in[s] = (lost_mask >> s) & 1 ? nullptr : b.sources[s].data();
    out.push_back(rebuilt[s].data());
  }
  std::vector<repair_symbol> repairs;
  for (std::size_t r = 0; r < b.repairs.size(); ++r)
    if ((repair_mask >> r) & 1) repairs.push_back({r, b.repairs[r].data()});
  if (!decode_sources(in, repairs, out, length)) return false;
  for (std::size_t s = 0; s < k; ++s)
    if ((lost_mask >> s) & 1 && rebuilt[s] != b.sources[s]) return false;
  return true;
}

} // namespace

TEST_CASE("reed_solomon: every loss pattern within the code's strength is recovered, from any repairs") {
  // Exhaustive for small blocks: every set of lost sources and every set of
  // received repairs at least as large (the code is MDS).
  for (std::size_t k : {1u, 2u, 5u, 8u})
    for (std::size_t m : {1u, 2u, 4u}) {
      const block b = make_block(k, m, 37, tern::test::seed() + k * 16 + m);
      for (std::uint32_t lost = 0; lost < (1u << k); ++lost)
        for (std::uint32_t got = 0; got < (1u << m); ++got) {
          if (std::popcount(lost) > std::popcount(got)) continue;
          CAPTURE(k);
          CAPTURE(m);
          CAPTURE(lost);
          CAPTURE(got);
          REQUIRE(recovers(b, lost, got));
        }
    }
}

TEST_CASE("reed_solomon: large blocks at packet-sized symbols recover m losses anywhere") {
  tern::random_source rng(tern::test::seed());
  const std::size_t k = 32, m = 8;
  const block b = make_block(k, m, 1200, tern::test::seed());
  for (int trial = 0; trial < 50; ++trial) {
    std::uint32_t lost = 0;
    while (std::popcount(lost) < static_cast<int>(m)) lost |= 1u << (rng.next_u64() % k);
    CAPTURE(lost);
    CHECK(recovers(b, lost, 0xff));
  }
}

TEST_CASE("reed_solomon: more losses than repairs, or bad arguments, are refused without writing") {
  const block b = make_block(8, 4, 64, tern::test::seed());
  CHECK_FALSE(recovers(b, 0b111, 0b11)); // three lost, two repairs
  std::vector<const std::byte*> in(8);
  for (std::size_t s = 0; s < 8; ++s) in[s] = b.sources[s].data();
  in[0] = nullptr;
  bytes untouched(64, std::byte{0x5a});
  std::vector<std::byte*> out(8, untouched.data());
  // The same repair index twice stands for one repair.
  const repair_symbol twice[] = {{1, b.repairs[1].data()}, {1, b.repairs[1].data()}};
  in[1] = nullptr;
  CHECK_FALSE(decode_sources(in, twice, out, 64));
  // An index beyond what GF(2^8) can label.
  const repair_symbol far[] = {{250, b.repairs[0].data()}, {0, b.repairs[0].data()}};
  CHECK_FALSE(decode_sources(in, far, out, 64));
  CHECK_FALSE(decode_sources(in, std::span<const repair_symbol>(twice, 1), out, 64));
  CHECK(untouched == bytes(64, std::byte{0x5a}));
  // Sizes that disagree, empty blocks.
  CHECK_FALSE(decode_sources(in, twice, std::span<std::byte* const>(out).first(7), 64));
  CHECK_FALSE(decode_sources({}, twice, {}, 64));
  std::vector<std::byte*> repairs_out(250, untouched.data());
  CHECK_FALSE(encode_repairs(in, 0, repairs_out, 64)); // 8 + 250 > 255
  CHECK_FALSE(encode_repairs({}, 0, std::span<std::byte* const>(repairs_out).first(1), 64));
}

TEST_CASE("reed_solomon: a repair computed from other data rebuilds wrong bytes, never out of bounds") {
  // A lying repair symbol is not detectable by the code itself (docs/fec.md:
  // the frames of the rebuilt packet are parsed like any others).
  block b = make_block(4, 1, 16, tern::test::seed());
  b.repairs[0][3] ^= std::byte{1};
  CHECK_FALSE(recovers(b, 0b1, 0b1));
}

TEST_CASE("reed_solomon: the coefficients are docs/protocol.md's: 1 / ((k + r) xor s) in GF(2^8) mod 0x11d") {
  // k = 2: repair 0 = source0 / 2 + source1 / 3. With source0 = 1 and
  // source1 = 0 that is 1/2 = 0x8e (2 * 0x8e = 0x11c = 1 mod 0x11d); with
  // source0 = 0, source1 = 1 it is 1/3 = 0xf4.
  const std::byte one[1] = {std::byte{1}}, zero[1] = {std::byte{0}};
  std::byte out[1] = {};
  std::byte* outs[] = {out};
  const std::byte* a[] = {one, zero};
  REQUIRE(encode_repairs(a, 0, outs, 1));
  CHECK(std::to_integer<int>(out[0]) == 0x8e);
  const std::byte* b[] = {zero, one};
  REQUIRE(encode_repairs(b, 0, outs, 1));
  CHECK(std::to_integer<int>(out[0]) == 0xf4);
}
