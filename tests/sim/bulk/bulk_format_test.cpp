#include <doctest/doctest.h>

#include "bulk_format.hpp"

#include <array>
#include <vector>

using namespace tern::bulk;
using tern::recovery::ack_info;
using tern::recovery::ack_range;

TEST_CASE("bulk_format: a data packet round-trips and carries its offset and length") {
  std::array<std::byte, 1500> buf{};
  const std::size_t n = encode_data(buf, 0x12345, 987654321, 1000);
  REQUIRE(n == header_size + data_header_size + 1000);
  decoded_datagram d;
  REQUIRE(decode(std::span{buf}.first(n), d));
  CHECK(d.flags == flag_data);
  CHECK(d.truncated_packet_number == 0x2345);
  CHECK(d.offset == 987654321);
  CHECK(d.length == 1000);
  CHECK(d.ack.empty());
}

TEST_CASE("bulk_format: an ACK round-trips its ranges and delay") {
  ack_info ack;
  ack.push_back({100, 120});
  ack.push_back({90, 97});
  ack.push_back({0, 0});
  ack.ack_delay = std::chrono::microseconds(1234);
  std::array<std::byte, 1500> buf{};
  const std::size_t n = encode_ack(buf, 7, ack, true);
  REQUIRE(n > 0);
  decoded_datagram d;
  REQUIRE(decode(std::span{buf}.first(n), d));
  CHECK(d.flags == (flag_ack | flag_ping));
  REQUIRE(d.ack.size() == 3);
  CHECK(d.ack.ranges()[0] == ack_range{100, 120});
  CHECK(d.ack.ranges()[1] == ack_range{90, 97});
  CHECK(d.ack.ranges()[2] == ack_range{0, 0});
  CHECK(d.ack.ack_delay == std::chrono::microseconds(1234));
}

TEST_CASE("bulk_format: any flipped bit or truncation is rejected") {
  ack_info ack;
  ack.push_back({5000, 6000});
  ack.push_back({10, 4000});
  std::array<std::byte, 1500> buf{};
  for (const bool data : {true, false}) {
    const std::size_t n = data ? encode_data(buf, 42, 1200, 64) : encode_ack(buf, 42, ack, false);
    REQUIRE(n > 0);
    decoded_datagram d;
    for (std::size_t bit = 0; bit < n * 8; ++bit) {
      std::vector<std::byte> copy(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
      copy[bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
      REQUIRE_FALSE(decode(copy, d));
    }
    for (std::size_t len = 0; len < n; ++len) REQUIRE_FALSE(decode(std::span{buf}.first(len), d));
  }
}

TEST_CASE("bulk_format: packet numbers expand as RFC 9000 Appendix A.3 does") {
  // The RFC's example, with a 16-bit truncation: largest 0xa82f30ea,
  // received 0x9b32 -> 0xa82f9b32.
  CHECK(expand_packet_number(true, 0xa82f30ea, 0x9b32) == 0xa82f9b32);
  CHECK(expand_packet_number(false, 0, 17) == 17);
  // Wrapping forward and staying behind.
  CHECK(expand_packet_number(true, 0xfffe, 0x0001) == 0x10001);
  CHECK(expand_packet_number(true, 0x10005, 0xfff0) == 0xfff0);
  // Anything in (largest + 1 - 2^15, largest + 1 + 2^15] expands exactly.
  for (std::uint64_t largest : {100'000ULL, 1'000'000ULL}) {
    for (std::uint64_t pn = largest - 32'766; pn <= largest + 32'768; pn += 1021)
      CHECK(expand_packet_number(true, largest, static_cast<std::uint16_t>(pn & 0xffff)) == pn);
  }
}
