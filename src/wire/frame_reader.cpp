#include "wire/frame_reader.hpp"

namespace tern::wire {

std::error_code frame_reader::next(frame& out) noexcept {
  if (error_) return error_;
  frame_start_ = r_.position();
  if (r_.empty()) {
    // A packet must carry at least one frame (docs/protocol.md, "Packet
    // payload"); running past the last one is a caller error, still no UB.
    error_ = count_ == 0 ? make_error_code(wire_errc::empty_payload) : make_error_code(wire_errc::truncated);
    return error_;
  }
  std::uint8_t type = 0;
  (void)r_.peek_u8(type);
  // Types longer than one byte are reported by decode_frame; checking the
  // packet type first would hide their real error behind frame_not_allowed.
  if (varint_size_from_first_byte(std::byte{type}) == 1 && is_known_frame_type(type) &&
      !is_frame_allowed(type, type_)) {
    error_ = wire_errc::frame_not_allowed;
    return error_;
  }
  if (auto ec = decode_frame(r_, out)) {
    error_ = ec;
    return ec;
  }
  ++count_;
  return {};
}

} // namespace tern::wire
