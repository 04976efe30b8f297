#include <doctest/doctest.h>

#include "wire/varint.hpp"
#include "wire_test_util.hpp"

#include <array>
#include <vector>

using namespace tern::wire;
using tern::wire::test::hex;

namespace {

std::vector<std::byte> encode_min(std::uint64_t v) {
  std::array<std::byte, 8> buf{};
  std::size_t n = 0;
  REQUIRE(!encode_varint(buf, v, n));
  return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)};
}

std::uint64_t decode_all(std::span<const std::byte> in) {
  std::uint64_t v = 0;
  std::size_t n = 0;
  REQUIRE(!decode_varint(in, v, n));
  CHECK(n == in.size());
  return v;
}

} // namespace

TEST_CASE("varint: RFC 9000 A.1 sample encodings decode to their values") {
  CHECK(decode_all(hex("c2197c5eff14e88c")) == 151288809941952652u);
  CHECK(decode_all(hex("9d7f3e7d")) == 494878333u);
  CHECK(decode_all(hex("7bbd")) == 15293u);
  CHECK(decode_all(hex("25")) == 37u);
  // Longer than necessary is still valid input.
  CHECK(decode_all(hex("4025")) == 37u);
  CHECK(decode_all(hex("80000025")) == 37u);
  CHECK(decode_all(hex("c000000000000025")) == 37u);
}

TEST_CASE("varint: shortest encodings match the RFC samples") {
  CHECK(encode_min(151288809941952652u) == hex("c2197c5eff14e88c"));
  CHECK(encode_min(494878333u) == hex("9d7f3e7d"));
  CHECK(encode_min(15293u) == hex("7bbd"));
  CHECK(encode_min(37u) == hex("25"));
}

TEST_CASE("varint: sizes change exactly at the 6, 14, 30 and 62 bit boundaries") {
  struct edge {
    std::uint64_t value;
    std::size_t size;
  };
  const edge edges[] = {
      {0, 1},
      {63, 1},
      {64, 2},
      {16383, 2},
      {16384, 4},
      {(std::uint64_t{1} << 30) - 1, 4},
      {std::uint64_t{1} << 30, 8},
      {varint_max, 8},
  };
  for (const auto& e : edges) {
    CAPTURE(e.value);
    CHECK(varint_size(e.value) == e.size);
    const auto enc = encode_min(e.value);
    CHECK(enc.size() == e.size);
    CHECK(varint_size_from_first_byte(enc[0]) == e.size);
    CHECK(decode_all(enc) == e.value);
  }
  CHECK(varint_max == 4611686018427387903u);
}

TEST_CASE("varint: values above 2^62-1 are rejected by the encoder") {
  std::array<std::byte, 8> buf{};
  std::size_t n = 99;
  CHECK(varint_size(varint_max + 1) == 0);
  CHECK(encode_varint(buf, varint_max + 1, n) == wire_errc::varint_out_of_range);
  CHECK(encode_varint(buf, ~std::uint64_t{0}, n) == wire_errc::varint_out_of_range);
  CHECK(n == 99);
  CHECK(buf == std::array<std::byte, 8>{});
}

TEST_CASE("varint: fixed widths encode any value that fits and reject the rest") {
  std::array<std::byte, 8> buf{};
  REQUIRE(!encode_varint_fixed(buf, 37, 2));
  CHECK(std::vector<std::byte>(buf.begin(), buf.begin() + 2) == hex("4025"));
  REQUIRE(!encode_varint_fixed(buf, 37, 8));
  CHECK(std::vector<std::byte>(buf.begin(), buf.end()) == hex("c000000000000025"));
  CHECK(encode_varint_fixed(buf, 64, 1) == wire_errc::varint_out_of_range);
  CHECK(encode_varint_fixed(buf, 16384, 2) == wire_errc::varint_out_of_range);
  CHECK(encode_varint_fixed(buf, std::uint64_t{1} << 30, 4) == wire_errc::varint_out_of_range);
  CHECK(encode_varint_fixed(buf, 1, 3) == wire_errc::varint_out_of_range);
  CHECK(encode_varint_fixed(std::span<std::byte>(buf).first(1), 1, 2) == wire_errc::no_space);
}

TEST_CASE("varint: output too small is no_space and writes nothing") {
  std::array<std::byte, 3> buf{};
  std::size_t n = 0;
  CHECK(encode_varint(buf, 16384, n) == wire_errc::no_space);
  CHECK(buf == std::array<std::byte, 3>{});
  CHECK(encode_varint(std::span<std::byte>{}, 0, n) == wire_errc::no_space);
}

TEST_CASE("varint: every truncated prefix is rejected") {
  for (const auto& full : {hex("c2197c5eff14e88c"), hex("9d7f3e7d"), hex("7bbd")}) {
    for (std::size_t len = 0; len < full.size(); ++len) {
      std::uint64_t v = 7;
      std::size_t n = 7;
      CHECK(decode_varint(std::span(full).first(len), v, n) == wire_errc::truncated);
      CHECK(v == 7);
      CHECK(n == 7);
    }
  }
}
