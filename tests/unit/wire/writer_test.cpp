#include <doctest/doctest.h>

#include "wire/writer.hpp"
#include "wire_test_util.hpp"

#include <vector>

using namespace tern::wire;
using tern::wire::test::hex;

TEST_CASE("writer: integers are big-endian and advance the position") {
  std::array<std::byte, 32> buf{};
  writer w{buf};
  REQUIRE(!w.write_u8(0x01));
  REQUIRE(!w.write_u16(0x0203));
  REQUIRE(!w.write_u32(0x04050607));
  REQUIRE(!w.write_u64(0x08090a0b0c0d0e0f));
  REQUIRE(!w.write_varint(15293));
  REQUIRE(!w.write_varint(37, 2));
  const auto expected = hex("01 0203 04050607 08090a0b0c0d0e0f 7bbd 4025");
  CHECK(std::vector<std::byte>(w.written().begin(), w.written().end()) == expected);
  CHECK(w.remaining() == buf.size() - expected.size());
}

TEST_CASE("writer: a write that does not fit is no_space and writes nothing") {
  std::array<std::byte, 3> buf{};
  writer w{buf};
  REQUIRE(!w.write_u16(0xffff));
  CHECK(w.write_u16(0x1234) == wire_errc::no_space);
  CHECK(w.write_u32(1) == wire_errc::no_space);
  CHECK(w.write_u64(1) == wire_errc::no_space);
  CHECK(w.write_varint(64) == wire_errc::no_space);
  CHECK(w.write_bytes(hex("0102")) == wire_errc::no_space);
  CHECK(w.write_zeros(2) == wire_errc::no_space);
  CHECK(w.position() == 2);
  CHECK(buf[2] == std::byte{0});
  REQUIRE(!w.write_varint(63));
  CHECK(w.remaining() == 0);
  CHECK(w.write_u8(0) == wire_errc::no_space);
}

TEST_CASE("writer: varints above 2^62-1 are rejected before anything is written") {
  std::array<std::byte, 16> buf{};
  writer w{buf};
  CHECK(w.write_varint(varint_max + 1) == wire_errc::varint_out_of_range);
  CHECK(w.write_varint(64, 1) == wire_errc::varint_out_of_range);
  CHECK(w.position() == 0);
  REQUIRE(!w.write_varint(varint_max));
  CHECK(w.position() == 8);
}

TEST_CASE("writer: zeros, bytes and rewind") {
  std::array<std::byte, 8> buf{};
  buf.fill(std::byte{0xee});
  writer w{buf};
  REQUIRE(!w.write_bytes(hex("aabb")));
  REQUIRE(!w.write_zeros(3));
  CHECK(std::vector<std::byte>(w.written().begin(), w.written().end()) == hex("aabb000000"));
  w.rewind(1);
  CHECK(w.position() == 1);
  REQUIRE(!w.write_u8(0xcc));
  CHECK(buf[1] == std::byte{0xcc});
  REQUIRE(!w.write_bytes({}));
  REQUIRE(!w.write_zeros(0));
  CHECK(w.position() == 2);
}
