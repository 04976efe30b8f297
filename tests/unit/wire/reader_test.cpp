#include <doctest/doctest.h>

#include "wire/reader.hpp"
#include "wire_test_util.hpp"

using namespace tern::wire;
using tern::wire::test::hex;

TEST_CASE("reader: integers are big-endian and advance the position") {
  const auto buf = hex("01 0203 04050607 08090a0b0c0d0e0f 25");
  reader r{buf};
  std::uint8_t a = 0;
  std::uint16_t b = 0;
  std::uint32_t c = 0;
  std::uint64_t d = 0;
  std::uint64_t e = 0;
  REQUIRE(!r.read_u8(a));
  REQUIRE(!r.read_u16(b));
  REQUIRE(!r.read_u32(c));
  REQUIRE(!r.read_u64(d));
  REQUIRE(!r.read_varint(e));
  CHECK(a == 0x01);
  CHECK(b == 0x0203);
  CHECK(c == 0x04050607u);
  CHECK(d == 0x08090a0b0c0d0e0fu);
  CHECK(e == 0x25);
  CHECK(r.empty());
  CHECK(r.position() == buf.size());
}

TEST_CASE("reader: a read past the end is truncated and changes nothing") {
  const auto buf = hex("0102 03");
  reader r{buf};
  std::uint16_t v16 = 0;
  REQUIRE(!r.read_u16(v16));
  std::uint32_t v32 = 0xdeadbeef;
  CHECK(r.read_u32(v32) == wire_errc::truncated);
  CHECK(v32 == 0xdeadbeef);
  std::uint16_t w16 = 1;
  CHECK(r.read_u16(w16) == wire_errc::truncated);
  std::uint64_t v64 = 0;
  CHECK(r.read_u64(v64) == wire_errc::truncated);
  CHECK(r.position() == 2);
  std::uint8_t v8 = 0;
  REQUIRE(!r.read_u8(v8));
  CHECK(v8 == 3);
  CHECK(r.read_u8(v8) == wire_errc::truncated);
  CHECK(r.peek_u8(v8) == wire_errc::truncated);
  std::uint64_t vi = 0;
  CHECK(r.read_varint(vi) == wire_errc::truncated);
}

TEST_CASE("reader: read_bytes returns a view into the buffer and rejects huge lengths") {
  const auto buf = hex("aabbccdd");
  reader r{buf};
  std::span<const std::byte> view;
  REQUIRE(!r.read_bytes(2, view));
  CHECK(view.data() == buf.data());
  CHECK(view.size() == 2);
  CHECK(r.read_bytes(3, view) == wire_errc::truncated);
  CHECK(r.read_bytes(~std::uint64_t{0}, view) == wire_errc::truncated);
  CHECK(r.skip(~std::uint64_t{0}) == wire_errc::truncated);
  CHECK(r.position() == 2);
  CHECK(r.rest().size() == 2);
  REQUIRE(!r.read_bytes(0, view));
  CHECK(view.empty());
  std::array<std::byte, 2> copy{};
  REQUIRE(!r.read_into(copy));
  CHECK(copy[0] == std::byte{0xcc});
  CHECK(copy[1] == std::byte{0xdd});
  CHECK(r.read_into(copy) == wire_errc::truncated);
}

TEST_CASE("reader: an empty buffer fails every read") {
  reader r{};
  std::uint8_t v8 = 0;
  std::uint64_t v = 0;
  std::span<const std::byte> view;
  CHECK(r.empty());
  CHECK(r.read_u8(v8) == wire_errc::truncated);
  CHECK(r.read_varint(v) == wire_errc::truncated);
  CHECK(r.read_bytes(1, view) == wire_errc::truncated);
  CHECK(!r.read_bytes(0, view));
}
