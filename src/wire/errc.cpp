#include "wire/errc.hpp"

#include <string>

namespace tern::wire {
namespace {

class wire_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "tern.wire"; }

  std::string message(int value) const override {
    switch (static_cast<wire_errc>(value)) {
    case wire_errc::truncated: return "input truncated";
    case wire_errc::no_space: return "not enough space in the output buffer";
    case wire_errc::varint_out_of_range: return "value too large for a variable-length integer";
    case wire_errc::invalid_first_byte: return "invalid first byte (fixed bit clear)";
    case wire_errc::unsupported_version: return "unsupported version";
    case wire_errc::unknown_packet_type: return "unknown long header packet type";
    case wire_errc::reserved_bits_set: return "reserved header bits set";
    case wire_errc::invalid_connection_id_length: return "invalid connection ID length";
    case wire_errc::invalid_packet_length: return "invalid packet length";
    case wire_errc::empty_payload: return "packet payload carries no frames";
    case wire_errc::unknown_frame_type: return "unknown frame type";
    case wire_errc::non_minimal_frame_type: return "frame type not minimally encoded";
    case wire_errc::wrong_frame_type: return "frame type does not match the frame being decoded";
    case wire_errc::frame_not_allowed: return "frame type not allowed in this packet type";
    case wire_errc::ack_range_below_zero: return "ACK range below packet number zero";
    case wire_errc::too_many_ack_ranges: return "too many ACK ranges";
    case wire_errc::invalid_ack_ranges: return "ACK ranges empty, unsorted, overlapping or adjacent";
    case wire_errc::stream_offset_out_of_range: return "stream offset plus length above 2^62-1";
    case wire_errc::stream_limit_out_of_range: return "stream limit above 2^60";
    case wire_errc::invalid_retire_prior_to: return "retire_prior_to above sequence number";
    case wire_errc::empty_token: return "empty token";
    case wire_errc::message_fragment_out_of_range: return "message fragment beyond message length";
    case wire_errc::invalid_message_flags: return "undefined FLOW_MESSAGE flag bits";
    case wire_errc::invalid_repair_block: return "repair block out of bounds";
    }
    return "unknown tern.wire error";
  }
};

} // namespace

const std::error_category& wire_category() noexcept {
  static const wire_category_impl instance;
  return instance;
}

} // namespace tern::wire
