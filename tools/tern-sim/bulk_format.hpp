#pragma once

// The datagrams of tern-sim's packet-level bulk transfer, written with tern's
// wire codec (src/wire, docs/protocol.md):
//
//   short header (empty destination connection ID, 16-bit packet number)
//   frames:  data packets   STREAM (stream 0, offset, no length field)
//            ACK packets    ACK, and PING when it must be ack-eliciting
//   check    4 bytes over everything before them
//
// Packets are not encrypted: the connection layer owns packet protection.
// The check stands in for the AEAD tag so that a datagram the link corrupted
// is discarded, as protection would discard it. The payload is zeros.

#include "recovery/ack_ranges.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace tern::bulk {

inline constexpr std::uint8_t flag_data = 0x01;
inline constexpr std::uint8_t flag_ack = 0x02;
inline constexpr std::uint8_t flag_ping = 0x04;

/// Bytes of the check that ends every datagram.
inline constexpr std::size_t check_size = 4;

/// Stream bytes every data datagram of `mtu` bytes carries (the last one of
/// a transfer may carry fewer): the mtu less the header, the largest STREAM
/// frame header and the check. 0 when the mtu is too small.
std::size_t payload_per_packet(std::size_t mtu) noexcept;

struct decoded_datagram {
  std::uint8_t flags = 0;
  std::uint16_t truncated_packet_number = 0;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  recovery::ack_info ack;
};

/// A data packet carrying stream bytes [offset, offset + length). Returns the
/// size written, 0 when `out` is too small.
std::size_t encode_data(std::span<std::byte> out, std::uint64_t packet_number, std::uint64_t offset,
                        std::size_t length);

/// An ACK packet (with a PING frame when `ping`: ack-eliciting). Returns the
/// size written, 0 when `out` is too small or the ACK invalid.
std::size_t encode_ack(std::span<std::byte> out, std::uint64_t packet_number, const recovery::ack_info& ack,
                       bool ping);

/// Parses a datagram; false when the check fails or the packet does not
/// decode, or carries a frame this transfer never sends.
bool decode(std::span<const std::byte> in, decoded_datagram& out);

} // namespace tern::bulk
