#pragma once

// tern-sim's own datagram format for the packet-level bulk transfer. It
// carries exactly what recovery needs and nothing else:
//
//   flags (1 byte: 0x01 data, 0x02 ACK, 0x04 ping)
//   packet number (2 bytes: the low 16 bits; the receiver expands it as
//                  RFC 9000 Appendix A.3 does, hence the 2^15 limit)
//   check (4 bytes: FNV-1a over every other byte except the payload)
//   [data]  offset (6 bytes), length (2 bytes), `length` payload bytes
//   [ACK]   RFC 9000 §19.3 layout in QUIC varints: largest acknowledged,
//           ack delay (µs), range count - 1, first range length, then
//           (gap, length) pairs
//
// All integers are big-endian. Decoding checks every bound. The payload is
// all zeros and is checked to be so; with the check field, a datagram the
// link corrupted is discarded, as packet protection would discard it.

#include "recovery/ack_ranges.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace tern::bulk {

inline constexpr std::uint8_t flag_data = 0x01;
inline constexpr std::uint8_t flag_ack = 0x02;
inline constexpr std::uint8_t flag_ping = 0x04;

inline constexpr std::size_t header_size = 7;
inline constexpr std::size_t data_header_size = 8;

struct decoded_datagram {
  std::uint8_t flags = 0;
  std::uint16_t truncated_packet_number = 0;
  std::uint64_t offset = 0;
  std::uint16_t length = 0;
  recovery::ack_info ack;
};

/// A data packet with `length` zero payload bytes. Returns the size written,
/// 0 when `out` is too small.
std::size_t encode_data(std::span<std::byte> out, std::uint64_t packet_number, std::uint64_t offset,
                        std::uint16_t length);

/// An ACK-only packet (with the ping flag: ack-eliciting). Returns the size
/// written, 0 when `out` is too small or the ACK invalid.
std::size_t encode_ack(std::span<std::byte> out, std::uint64_t packet_number, const recovery::ack_info& ack,
                       bool ping);

/// Parses a datagram; false when it is malformed.
bool decode(std::span<const std::byte> in, decoded_datagram& out);

/// The full packet number closest to `largest_received + 1` whose low 16
/// bits are `truncated` (RFC 9000 Appendix A.3). `any_received` false: the
/// truncated value itself.
std::uint64_t expand_packet_number(bool any_received, std::uint64_t largest_received, std::uint16_t truncated);

} // namespace tern::bulk
