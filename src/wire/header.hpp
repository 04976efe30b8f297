#pragma once

// Packet headers (docs/protocol.md, "Packet headers"). Two forms:
//
//   long  (handshake):  1 1 T T 0 0 0 0 | version (32) | DCID len (8) | DCID |
//                       SCID len (8) | SCID | [initial: token length (varint) | token] |
//                       length (varint) | packet number (16)
//   long  (retry):      1 1 T T 0 0 0 0 | version | DCID len | DCID | SCID len | SCID |
//                       retry token length (varint) | retry token | integrity tag (128)
//   short (data):       0 1 0 0 0 K 0 0 | DCID (length known to the receiver) | packet number (16)
//
// The fixed bit 0x40 keeps the first byte at 64 or above, out of STUN's 0-3
// (RFC 7983). Header protection, specified with packet protection, will mask
// the low 4 bits of a long header's first byte, the low 5 bits of a short
// header's, and the 2 packet number bytes; the decoder is split so that layer
// can find those bytes (decode_header_layout) before the rest is read
// (decode_header).

#include "wire/connection_id.hpp"
#include "wire/errc.hpp"
#include "wire/writer.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

namespace tern::wire {

/// tern's version 1 on the wire: "TRN" followed by 1.
inline constexpr std::uint32_t version_1 = 0x54524e01;

/// Whether tern speaks `version`.
constexpr bool is_supported_version(std::uint32_t version) noexcept { return version == version_1; }

// First-byte bits.
inline constexpr std::uint8_t header_form_bit = 0x80; ///< 1: long header, 0: short header
inline constexpr std::uint8_t fixed_bit = 0x40;       ///< always 1
inline constexpr std::uint8_t long_type_mask = 0x30;  ///< long header packet type (bits 5-4)
inline constexpr std::uint8_t long_reserved_mask = 0x0f;
inline constexpr std::uint8_t short_reserved_mask = 0x3b;
inline constexpr std::uint8_t key_phase_bit = 0x04;
/// First-byte bits header protection will mask (long / short header).
inline constexpr std::uint8_t long_protected_mask = 0x0f;
inline constexpr std::uint8_t short_protected_mask = 0x1f;

/// Bytes of the retry integrity tag that ends a retry packet.
inline constexpr std::size_t retry_integrity_tag_length = 16;

enum class packet_type : std::uint8_t {
  initial,   ///< long header, type 0: carries the first CRYPTO data and may carry a token
  handshake, ///< long header, type 1: the rest of the handshake
  retry,     ///< long header, type 2: address validation; no packet number, no frames
  one_rtt,   ///< short header: application data
  zero_rtt,  ///< long header, type 3: a resuming client's early data (docs/crypto.md, "Resumption")
};

/// One packet header, decoded or to encode. Which fields mean something
/// depends on `type` (see each); operator== compares only those.
struct packet_header {
  packet_type type = packet_type::one_rtt;
  std::uint32_t version = version_1; ///< long headers
  connection_id dcid;
  connection_id scid; ///< long headers
  /// initial: the address-validation token (may be empty); retry: the retry
  /// token. A view into the packet (decode) or into caller memory (encode).
  std::span<const std::byte> token;
  std::array<std::byte, retry_integrity_tag_length> retry_integrity_tag{}; ///< retry
  bool key_phase = false;        ///< short header
  std::uint16_t packet_number = 0; ///< all but retry; the truncated 16 bits

  friend bool operator==(const packet_header& a, const packet_header& b) noexcept;
};

/// A packet header found in a datagram, and where the packet's parts lie.
/// Offsets are relative to the start of this packet.
struct decoded_header {
  packet_header header;
  /// Offset of the 2 packet number bytes (0 for retry).
  std::size_t packet_number_offset = 0;
  /// Bytes of header, packet number included: the associated data packet
  /// protection authenticates; the payload starts here.
  std::size_t header_length = 0;
  /// Bytes this packet occupies in the datagram. A long header packet may be
  /// followed by another (coalesced) one starting at this offset; a short
  /// header packet always extends to the end of the datagram.
  std::size_t packet_length = 0;
  /// The payload (frames, later ciphertext): bytes [header_length, packet_length).
  std::span<const std::byte> payload;
};

/// Parses the parts of the packet at the start of `datagram` that header
/// protection leaves in the clear: form, fixed bit, version, long packet
/// type, connection IDs, token, length. `short_dcid_length` (0 to 20) is the
/// length of the connection IDs this endpoint issued, used for short headers.
/// Fills everything in `out` except header.key_phase and header.packet_number,
/// without checking reserved bits.
///
/// Errors: truncated; invalid_first_byte (fixed bit clear, e.g. a STUN
/// message); unsupported_version; unknown_packet_type (reserved long type);
/// invalid_connection_id_length (a length byte above 20, or
/// short_dcid_length above 20); invalid_packet_length (long header length
/// field below 2, no room for the packet number). `out` is unspecified on error.
[[nodiscard]] std::error_code decode_header_layout(std::span<const std::byte> datagram,
                                                   std::size_t short_dcid_length,
                                                   decoded_header& out) noexcept;

/// Decodes the unprotected header of the packet at the start of `datagram`:
/// decode_header_layout, then the reserved bits, key phase and packet number.
/// Errors: those of decode_header_layout, and reserved_bits_set.
[[nodiscard]] std::error_code decode_header(std::span<const std::byte> datagram, std::size_t short_dcid_length,
                                            decoded_header& out) noexcept;

/// Bytes encode_header writes for `h` followed by `payload_length` bytes of
/// payload, with a length field of `length_width` bytes (0: the fewest).
std::size_t encoded_header_size(const packet_header& h, std::size_t payload_length,
                                std::size_t length_width = 0) noexcept;

/// Offset of the length field within an encoded long header (initial,
/// handshake) for `h`; 0 for retry and short headers, which have none.
std::size_t length_field_offset(const packet_header& h) noexcept;

/// Writes the header `h` for a packet whose payload (the bytes after the
/// packet number, AEAD tag included once packets are protected) will be
/// `payload_length` bytes. For initial and handshake packets the length
/// field (2 + payload_length) takes `length_width` bytes (1, 2, 4, 8; 0: the
/// fewest): reserve a width and call set_length_field once the payload size
/// is known. Retry headers ignore payload_length and length_width. Reserved
/// bits are written as zero. Errors: no_space; varint_out_of_range (the
/// length does not fit length_width, or length_width is not 0/1/2/4/8).
/// Nothing is written on error.
[[nodiscard]] std::error_code encode_header(writer& w, const packet_header& h, std::size_t payload_length,
                                            std::size_t length_width = 0) noexcept;

/// Rewrites the length field of the long header packet starting at
/// `packet`, encoded from `h` with the same `length_width`, to announce
/// `payload_length` bytes of payload. Errors: varint_out_of_range (does not
/// fit the width), no_space (`packet` too short), invalid_packet_length (`h`
/// is a retry or short header, which have no length field).
[[nodiscard]] std::error_code set_length_field(std::span<std::byte> packet, const packet_header& h,
                                               std::size_t payload_length, std::size_t length_width) noexcept;

} // namespace tern::wire
