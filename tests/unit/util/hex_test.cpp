#include <doctest/doctest.h>

#include "support/seed.hpp"
#include "util/hex.hpp"

#include <tern/random.hpp>

#include <array>
#include <ostream>
#include <system_error>
#include <vector>

using tern::util::from_hex;
using tern::util::hex_case;
using tern::util::hex_errc;
using tern::util::to_hex;

TEST_CASE("hex: every byte value encodes as two lowercase digits, or upper case on request") {
  const std::array<std::byte, 4> bytes{std::byte{0x00}, std::byte{0x0f}, std::byte{0xa5}, std::byte{0xff}};
  CHECK(to_hex(bytes) == "000fa5ff");
  CHECK(to_hex(bytes, hex_case::upper) == "000FA5FF");
  CHECK(to_hex({}) == "");
  std::string line = "id=";
  tern::util::append_hex(line, std::span{bytes}.first(2));
  CHECK(line == "id=000f");
}

TEST_CASE("hex: random bytes survive a round trip, and either case decodes") {
  tern::random_source rng{tern::test::seed()};
  for (std::size_t size : {0u, 1u, 2u, 31u, 256u}) {
    std::vector<std::byte> bytes(size);
    for (auto& b : bytes) b = static_cast<std::byte>(rng.uniform(256));
    for (const hex_case c : {hex_case::lower, hex_case::upper}) {
      std::error_code ec;
      CHECK(from_hex(to_hex(bytes, c), ec) == bytes);
      CHECK_FALSE(ec);
    }
  }
  std::error_code ec;
  CHECK(from_hex("aBcD", ec) == std::vector<std::byte>{std::byte{0xab}, std::byte{0xcd}});
  CHECK_FALSE(ec);
}

TEST_CASE("hex: odd length and non-digits are refused with an error that says which") {
  std::error_code ec;
  CHECK(from_hex("abc", ec).empty());
  CHECK(ec == hex_errc::odd_length);
  CHECK(ec.message() == "odd number of hex digits");
  CHECK(std::string(ec.category().name()) == "tern.hex");
  for (const char* bad : {"0g", "zz", "ab:cde", " 0a0", "0x12", "ab\xc3\xa9"}) {
    INFO("input: " << bad);
    CHECK(from_hex(bad, ec).empty());
    CHECK(ec == hex_errc::invalid_digit);
  }
  CHECK(ec.message() == "not a hex digit");
  // A failure is not sticky: the next good call clears it.
  CHECK(from_hex("00", ec).size() == 1);
  CHECK_FALSE(ec);
}

TEST_CASE("hex: decoding into a fixed buffer checks the length and never writes past it") {
  std::array<std::byte, 2> out{};
  CHECK_FALSE(from_hex("beef", out));
  CHECK(out == std::array<std::byte, 2>{std::byte{0xbe}, std::byte{0xef}});
  CHECK(from_hex("beefbe", out) == hex_errc::wrong_length);
  CHECK(from_hex("be", out) == hex_errc::wrong_length);
  CHECK(from_hex("bee", out) == hex_errc::odd_length);
  CHECK(from_hex("be-f", out) == hex_errc::invalid_digit);
}
