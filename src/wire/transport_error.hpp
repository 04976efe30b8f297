#pragma once

#include "wire/errc.hpp"

#include <cstdint>
#include <system_error>

namespace tern::wire {

/// Transport error codes carried by CONNECTION_CLOSE (type 0x1c), on the
/// wire as varints (docs/protocol.md, "Error handling"; the values are those
/// of RFC 9000 §20.1).
enum class transport_error : std::uint64_t {
  no_error = 0x00,
  internal_error = 0x01,
  connection_refused = 0x02,
  flow_control_error = 0x03,
  stream_limit_error = 0x04,
  stream_state_error = 0x05,
  final_size_error = 0x06,
  frame_encoding_error = 0x07,
  transport_parameter_error = 0x08,
  connection_id_limit_error = 0x09,
  protocol_violation = 0x0a,
  invalid_token = 0x0b,
  application_error = 0x0c,
  crypto_buffer_exceeded = 0x0d,
  key_update_error = 0x0e,
  aead_limit_reached = 0x0f,
  no_viable_path = 0x10,
};

/// The transport error a receiver closes the connection with when an
/// authenticated packet's payload fails to decode with `ec` (an error from
/// frame_reader / decode_frame, or reserved_bits_set from decode_header
/// after packet protection was removed): frame_encoding_error for a
/// malformed frame, protocol_violation for a well-formed frame or packet
/// that breaks a rule (no frames, frame not allowed in the packet type,
/// over-long frame type, reserved bits set). Anything else, including
/// errors from other categories, maps to internal_error.
inline transport_error to_transport_error(std::error_code ec) noexcept {
  if (ec.category() != wire_category()) return transport_error::internal_error;
  switch (static_cast<wire_errc>(ec.value())) {
  case wire_errc::truncated:
  case wire_errc::unknown_frame_type:
  case wire_errc::ack_range_below_zero:
  case wire_errc::too_many_ack_ranges:
  case wire_errc::stream_offset_out_of_range:
  case wire_errc::stream_limit_out_of_range:
  case wire_errc::invalid_connection_id_length:
  case wire_errc::invalid_retire_prior_to:
  case wire_errc::empty_token:
  case wire_errc::message_fragment_out_of_range: return transport_error::frame_encoding_error;
  case wire_errc::invalid_repair_block: return transport_error::frame_encoding_error;
  case wire_errc::empty_payload:
  case wire_errc::frame_not_allowed:
  case wire_errc::non_minimal_frame_type:
  case wire_errc::reserved_bits_set: return transport_error::protocol_violation;
  default: return transport_error::internal_error;
  }
}

} // namespace tern::wire
