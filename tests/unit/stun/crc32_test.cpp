#include <doctest/doctest.h>

#include "helpers.hpp"

#include "stun/crc32.hpp"

using namespace tern::stun;

TEST_CASE("crc32: the ISO-HDLC check value and incremental computation") {
  CHECK(crc32(test::text_bytes("123456789")) == 0xCBF43926U);
  CHECK(crc32({}) == 0U);
  const auto whole = crc32(test::text_bytes("The quick brown fox jumps over the lazy dog"));
  CHECK(whole == 0x414FA339U);
  const auto part = crc32(test::text_bytes("The quick brown fox "));
  CHECK(crc32(test::text_bytes("jumps over the lazy dog"), part) == whole);
}
