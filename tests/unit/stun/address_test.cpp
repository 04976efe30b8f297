#include <doctest/doctest.h>

#include "stun/address.hpp"

using namespace tern::stun;

TEST_CASE("address: parses and prints IPv4 and bracketed IPv6 with ports") {
  const auto v4 = parse_transport_address("192.0.2.1:3478");
  REQUIRE(v4);
  CHECK(*v4 == transport_address::ipv4({192, 0, 2, 1}, 3478));
  CHECK(v4->to_string() == "192.0.2.1:3478");
  CHECK(v4->ip_string() == "192.0.2.1");
  CHECK(v4->ip_bytes().size() == 4);

  const auto v6 = parse_transport_address("[2001:db8::1]:65535");
  REQUIRE(v6);
  CHECK(v6->family == address_family::ipv6);
  CHECK(v6->port == 65535);
  CHECK(v6->to_string() == "[2001:db8::1]:65535");
  CHECK(v6->ip_bytes().size() == 16);
  CHECK(parse_transport_address("[::]:0")->to_string() == "[::]:0");
}

TEST_CASE("address: rejects malformed text") {
  for (const char* bad :
       {"", "1.2.3.4", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.4:80x", "1.2.3:80", "256.1.1.1:80",
        "::1:80", "[::1]", "[::1]80", "[::1:80", "[1.2.3.4]:80", "host:80", " 1.2.3.4:80", "[::1]:"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_transport_address(bad));
  }
}

TEST_CASE("address: equality compares family, address and port") {
  const auto a = transport_address::ipv4({10, 0, 0, 1}, 1000);
  CHECK(a == transport_address::ipv4({10, 0, 0, 1}, 1000));
  CHECK_FALSE(a == transport_address::ipv4({10, 0, 0, 1}, 1001));
  CHECK_FALSE(a == transport_address::ipv4({10, 0, 0, 2}, 1000));
  std::array<std::uint8_t, 16> v6{10, 0, 0, 1};
  CHECK_FALSE(a == transport_address::ipv6(v6, 1000));
}
