#pragma once

// tern's address type: an IP address and UDP port as a plain value, so the
// sans-IO core, STUN and the bring-your-own-I/O API need no socket library.
// The Asio front end and applications convert to and from their own types
// (sockaddr, asio::ip::udp::endpoint).

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tern {

/// The codes STUN's (XOR-)MAPPED-ADDRESS uses for the families (RFC 8489
/// §14.1), so the value goes on the wire as it is.
enum class address_family : std::uint8_t { ipv4 = 0x01, ipv6 = 0x02 };

/// An IPv4 or IPv6 address and a UDP port.
struct address {
  address_family family = address_family::ipv4;
  /// Network byte order. IPv4 uses the first 4 bytes; the rest stay zero so
  /// that == compares values, not leftovers.
  std::array<std::uint8_t, 16> ip{};
  std::uint16_t port = 0;

  static address ipv4(std::array<std::uint8_t, 4> octets, std::uint16_t port) noexcept;
  static address ipv6(const std::array<std::uint8_t, 16>& octets, std::uint16_t port) noexcept;

  /// 4 bytes for IPv4, 16 for IPv6.
  std::span<const std::uint8_t> ip_bytes() const noexcept {
    return {ip.data(), family == address_family::ipv4 ? std::size_t{4} : std::size_t{16}};
  }

  /// "192.0.2.1:32853" or "[2001:db8::1]:32853".
  std::string to_string() const;
  /// The address alone, without port or brackets: "192.0.2.1", "2001:db8::1".
  std::string ip_string() const;

  friend bool operator==(const address&, const address&) = default;
};

/// Parses "a.b.c.d:port" or "[v6]:port" (numeric only, no name lookup).
/// Returns nullopt on anything else: a missing or out-of-range port, an
/// unbracketed IPv6 address, trailing characters.
std::optional<address> parse_address(std::string_view text);

} // namespace tern
