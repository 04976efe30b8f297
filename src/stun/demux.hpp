#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace tern::stun {

/// RFC 7983 §7: on a socket shared by several protocols, a datagram whose
/// first byte is 0-3 is STUN (the two leading zero bits of the STUN header
/// plus the top bits of the message type). tern's own packets never start
/// with a byte in that range, so one UDP socket carries both.
constexpr bool is_stun(std::uint8_t first_byte) noexcept { return first_byte <= 3; }

/// The same test on a whole datagram; an empty datagram is not STUN.
constexpr bool is_stun(std::span<const std::byte> datagram) noexcept {
  return !datagram.empty() && is_stun(static_cast<std::uint8_t>(datagram[0]));
}

} // namespace tern::stun
