#pragma once

// Packet numbers are 64-bit inside tern (0 .. 2^62-1, never reused) and travel
// as their low 16 bits. The receiver expands the 16 bits back to the full
// number closest to the one it expects next (RFC 9000 §17.1, Appendix A.3,
// with a fixed 16-bit window). That is unambiguous only while the sender keeps
// fewer than 2^15 packets beyond the largest one the peer acknowledged:
// may_send_packet_number() is the check recovery applies before sending.

#include <cstddef>
#include <cstdint>
#include <optional>

namespace tern::wire {

/// Bytes of packet number in every protected packet header.
inline constexpr std::size_t packet_number_length = 2;

/// Largest packet number a connection may use (2^62 - 1); a connection that
/// reaches it must close.
inline constexpr std::uint64_t max_packet_number = (std::uint64_t{1} << 62) - 1;

/// Size of the window the 16-bit truncation leaves the receiver (2^16).
inline constexpr std::uint64_t packet_number_window = std::uint64_t{1} << 16;

/// A sender keeps fewer than this many packets outstanding beyond the largest
/// acknowledged one (2^15): packet N may be sent only if
/// N - largest_acknowledged < max_unacknowledged_packets. Beyond that, a
/// delayed packet and a new one could share the same 16 bits within the
/// receiver's window, and expansion would pick the wrong one.
inline constexpr std::uint64_t max_unacknowledged_packets = std::uint64_t{1} << 15;

/// The 16 bits of `packet_number` that go on the wire.
constexpr std::uint16_t truncate_packet_number(std::uint64_t packet_number) noexcept {
  return static_cast<std::uint16_t>(packet_number & 0xffff);
}

/// Expands a received 16-bit packet number to the 64-bit packet number
/// closest to `largest_received + 1` (the next expected one) that has those
/// low 16 bits; with nothing received yet, the expected number is 0. Correct
/// across 16-bit wrap-around (65535 -> 65536) and for packets reordered by up
/// to 2^15 - 1 either way. Never returns a value above max_packet_number
/// or below 0 (candidates out of range are never chosen).
constexpr std::uint64_t expand_packet_number(std::uint16_t truncated,
                                             std::optional<std::uint64_t> largest_received) noexcept {
  constexpr std::uint64_t win = packet_number_window;
  constexpr std::uint64_t hwin = win / 2;
  constexpr std::uint64_t mask = win - 1;
  const std::uint64_t expected = largest_received ? *largest_received + 1 : 0;
  const std::uint64_t candidate = (expected & ~mask) | truncated;
  // candidate <= expected - hwin, written without unsigned underflow.
  if (candidate + hwin <= expected && candidate < (max_packet_number + 1) - win) return candidate + win;
  if (candidate > expected + hwin && candidate >= win) return candidate - win;
  return candidate;
}

/// Whether a sender may send packet `packet_number` now, given the largest
/// packet number the peer has acknowledged (nullopt: none yet). True when
/// fewer than max_unacknowledged_packets packet numbers would lie between
/// the largest acknowledged (exclusive) and `packet_number` (inclusive), and
/// the number itself is within max_packet_number. A number at or below the
/// largest acknowledged is never sendable (packet numbers are not reused).
constexpr bool may_send_packet_number(std::uint64_t packet_number,
                                      std::optional<std::uint64_t> largest_acknowledged) noexcept {
  if (packet_number > max_packet_number) return false;
  if (!largest_acknowledged) return packet_number + 1 < max_unacknowledged_packets;
  if (packet_number <= *largest_acknowledged) return false; // numbers never repeat
  return packet_number - *largest_acknowledged < max_unacknowledged_packets;
}

} // namespace tern::wire
