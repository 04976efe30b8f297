#include <doctest/doctest.h>

#include "bulk_format.hpp"

#include "wire/header.hpp"

#include <array>
#include <vector>

using namespace tern::bulk;
using tern::recovery::ack_info;
using tern::recovery::ack_range;

TEST_CASE("bulk_format: a data packet is a short-header packet with one STREAM frame") {
  std::array<std::byte, 1500> buf{};
  const std::size_t n = encode_data(buf, 0x12345, 987654321, payload_per_packet(1200));
  // 987654321 needs a 4-byte offset varint: 4 bytes shorter than the worst case.
  CHECK(n == 1200 - 4);
  tern::wire::decoded_header h;
  REQUIRE_FALSE(tern::wire::decode_header(std::span{buf}.first(n - check_size), 0, h));
  CHECK(h.header.type == tern::wire::packet_type::one_rtt);
  CHECK(h.header.packet_number == 0x2345);
  decoded_datagram d;
  REQUIRE(decode(std::span{buf}.first(n), d));
  CHECK(d.flags == flag_data);
  CHECK(d.truncated_packet_number == 0x2345);
  CHECK(d.offset == 987654321);
  CHECK(d.length == payload_per_packet(1200));
  CHECK(d.ack.empty());
}

TEST_CASE("bulk_format: the worst-case data packet fits the mtu exactly") {
  std::array<std::byte, 1200> buf{};
  CHECK(encode_data(buf, 1, (1ULL << 40), payload_per_packet(1200)) == 1200);
  CHECK(encode_data(buf, 1, (1ULL << 40), payload_per_packet(1200) + 1) == 0);
}

TEST_CASE("bulk_format: an ACK round-trips its ranges, delay and ping") {
  ack_info ack;
  ack.push_back({100, 120});
  ack.push_back({90, 97});
  ack.push_back({0, 0});
  ack.ack_delay = std::chrono::microseconds(1234);
  std::array<std::byte, 1500> buf{};
  for (const bool ping : {false, true}) {
    const std::size_t n = encode_ack(buf, 7, ack, ping);
    REQUIRE(n > 0);
    decoded_datagram d;
    REQUIRE(decode(std::span{buf}.first(n), d));
    CHECK(d.flags == (flag_ack | (ping ? flag_ping : 0)));
    REQUIRE(d.ack.size() == 3);
    CHECK(d.ack.ranges()[0] == ack_range{100, 120});
    CHECK(d.ack.ranges()[1] == ack_range{90, 97});
    CHECK(d.ack.ranges()[2] == ack_range{0, 0});
    CHECK(d.ack.ack_delay == std::chrono::microseconds(1234));
  }
}

TEST_CASE("bulk_format: any flipped bit or truncation is rejected") {
  ack_info ack;
  ack.push_back({5000, 6000});
  ack.push_back({10, 4000});
  std::array<std::byte, 1500> buf{};
  for (const bool data : {true, false}) {
    const std::size_t n = data ? encode_data(buf, 42, 1200, 64) : encode_ack(buf, 42, ack, true);
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
