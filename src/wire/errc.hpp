#pragma once

#include <system_error>

namespace tern::wire {

/// Every way encoding or decoding tern's wire format can fail. The category
/// is "tern.wire". docs/protocol.md says, for each, what a receiver does
/// about it (drop the datagram, or close the connection with which transport
/// error code: see transport_error.hpp).
enum class wire_errc {
  // Buffers.
  truncated = 1, ///< the input ends before the field being read
  no_space,      ///< the output buffer is too small; nothing was written

  // Values.
  varint_out_of_range, ///< a value above 2^62-1 was given to the encoder

  // Packet headers.
  invalid_first_byte,           ///< fixed bit clear: the first byte is below 64 (STUN range)
  unsupported_version,          ///< long header with a version tern does not speak
  unknown_packet_type,          ///< long header with the reserved packet type
  reserved_bits_set,            ///< reserved header bits not zero (after header protection removal)
  invalid_connection_id_length, ///< a connection ID longer than 20 bytes (or empty where one is required)
  invalid_packet_length,        ///< long header length field too small to hold the packet number

  // Packet payloads and frames.
  empty_payload,              ///< a packet with no frames
  unknown_frame_type,         ///< a frame type tern does not define
  non_minimal_frame_type,     ///< a frame type encoded in more bytes than necessary
  wrong_frame_type,           ///< a typed decode saw the type byte of another frame
  frame_not_allowed,          ///< frame type not permitted in this packet type
  ack_range_below_zero,       ///< an ACK range (or gap) reaches below packet number 0
  too_many_ack_ranges,        ///< an ACK frame with more than max_ack_ranges ranges
  invalid_ack_ranges,         ///< encoder given ranges that are empty, unsorted, overlapping or adjacent
  stream_offset_out_of_range, ///< offset + length of STREAM/CRYPTO data above 2^62-1
  stream_limit_out_of_range,  ///< a stream count above 2^60 in MAX_STREAMS/STREAMS_BLOCKED
  invalid_retire_prior_to,    ///< NEW_CONNECTION_ID with retire_prior_to above its sequence number
  empty_token,                ///< NEW_TOKEN with an empty token
  message_fragment_out_of_range, ///< a message fragment ends beyond its message's length
  invalid_message_flags,         ///< FLOW_MESSAGE flags with a bit tern does not define
  invalid_repair_block, ///< a REPAIR frame whose block description breaks docs/fec.md's bounds
};

/// The "tern.wire" error category (a singleton).
const std::error_category& wire_category() noexcept;

/// Makes `wire_errc` usable as a std::error_code.
inline std::error_code make_error_code(wire_errc e) noexcept {
  return {static_cast<int>(e), wire_category()};
}

/// The outcome of a codec primitive (reader, writer, varint): success or a
/// wire_errc. It converts to std::error_code, so `if (auto ec = r.read_u8(x))
/// return ec;` works in functions returning either; unlike std::error_code
/// it costs nothing on the success path (no category lookup), which matters
/// at dozens of fields per frame.
class [[nodiscard]] status {
public:
  constexpr status() noexcept = default;
  constexpr status(wire_errc e) noexcept : e_(e) {} // NOLINT: implicit by design

  /// True on failure (like std::error_code).
  constexpr explicit operator bool() const noexcept { return e_ != wire_errc{}; }
  /// The failure; wire_errc{} (value 0) on success.
  constexpr wire_errc code() const noexcept { return e_; }

  operator std::error_code() const noexcept { // NOLINT: implicit by design
    return e_ == wire_errc{} ? std::error_code{} : make_error_code(e_);
  }

  friend constexpr bool operator==(status a, wire_errc b) noexcept { return a.e_ == b; }
  friend constexpr bool operator==(status a, status b) noexcept { return a.e_ == b.e_; }

private:
  wire_errc e_{};
};

} // namespace tern::wire

template <>
struct std::is_error_code_enum<tern::wire::wire_errc> : std::true_type {};
