// REPAIR and REPAIR_REPORT codecs. The source mask is a fixed 8-byte
// big-endian field rather than a varint (a varint holds only 62 bits, the
// mask needs 64), so a REPAIR frame's size does not depend on its pattern.

#include "wire/repair_frames.hpp"

#include "wire/errc.hpp"
#include "wire/frame_type.hpp"
#include "wire/varint.hpp"

#include <bit>

namespace tern::wire {

namespace {

bool valid(const repair_frame& f) noexcept {
  return (f.source_mask & 1) != 0 && f.source_count() <= repair_bounds::max_sources && f.repair_count >= 1 &&
         f.repair_count <= repair_bounds::max_repairs && f.repair_index < f.repair_count && !f.symbol.empty() &&
         f.symbol.size() <= repair_bounds::max_symbol_length && f.first_packet <= varint_max;
}

bool valid(const repair_report_frame& f) noexcept {
  return f.packets_missing <= f.packets_seen && f.loss_events <= f.packets_missing;
}

} // namespace

std::size_t repair_frame::source_count() const noexcept { return static_cast<std::size_t>(std::popcount(source_mask)); }

std::uint8_t type_byte(const repair_frame&) noexcept { return frame_type::repair; }
std::uint8_t type_byte(const repair_report_frame&) noexcept { return frame_type::repair_report; }

std::size_t encoded_size(const repair_frame& f) noexcept {
  return 1 + varint_size(f.first_packet) + 8 + varint_size(f.repair_count) + varint_size(f.repair_index) +
         varint_size(f.symbol.size()) + f.symbol.size();
}

std::error_code encode(writer& w, const repair_frame& f) noexcept {
  if (!valid(f)) return wire_errc::invalid_repair_block;
  if (w.remaining() < encoded_size(f)) return wire_errc::no_space;
  (void)w.write_u8(frame_type::repair);
  (void)w.write_varint(f.first_packet);
  (void)w.write_u64(f.source_mask);
  (void)w.write_varint(f.repair_count);
  (void)w.write_varint(f.repair_index);
  (void)w.write_varint(f.symbol.size());
  (void)w.write_bytes(f.symbol);
  return {};
}

std::error_code detail::decode_repair_body(reader& r, repair_frame& f) noexcept {
  std::uint64_t length = 0;
  if (auto ec = r.read_varint(f.first_packet)) return ec;
  if (auto ec = r.read_u64(f.source_mask)) return ec;
  if (auto ec = r.read_varint(f.repair_count)) return ec;
  if (auto ec = r.read_varint(f.repair_index)) return ec;
  if (auto ec = r.read_varint(length)) return ec;
  if (length > repair_bounds::max_symbol_length) return wire_errc::invalid_repair_block;
  if (auto ec = r.read_bytes(length, f.symbol)) return ec;
  return valid(f) ? std::error_code{} : make_error_code(wire_errc::invalid_repair_block);
}

std::error_code decode(reader& r, repair_frame& f) noexcept {
  std::uint8_t type = 0;
  if (auto ec = r.read_u8(type)) return ec;
  if (type != frame_type::repair) return wire_errc::wrong_frame_type;
  return detail::decode_repair_body(r, f);
}

std::size_t encoded_size(const repair_report_frame& f) noexcept {
  return 1 + varint_size(f.packets_seen) + varint_size(f.packets_missing) + varint_size(f.loss_events) +
         varint_size(f.packets_recovered);
}

std::error_code encode(writer& w, const repair_report_frame& f) noexcept {
  if (!valid(f) || f.packets_seen > varint_max || f.packets_recovered > varint_max)
    return wire_errc::invalid_repair_block;
  if (w.remaining() < encoded_size(f)) return wire_errc::no_space;
  (void)w.write_u8(frame_type::repair_report);
  (void)w.write_varint(f.packets_seen);
  (void)w.write_varint(f.packets_missing);
  (void)w.write_varint(f.loss_events);
  (void)w.write_varint(f.packets_recovered);
  return {};
}

std::error_code detail::decode_repair_report_body(reader& r, repair_report_frame& f) noexcept {
  if (auto ec = r.read_varint(f.packets_seen)) return ec;
  if (auto ec = r.read_varint(f.packets_missing)) return ec;
  if (auto ec = r.read_varint(f.loss_events)) return ec;
  if (auto ec = r.read_varint(f.packets_recovered)) return ec;
  return valid(f) ? std::error_code{} : make_error_code(wire_errc::invalid_repair_block);
}

std::error_code decode(reader& r, repair_report_frame& f) noexcept {
  std::uint8_t type = 0;
  if (auto ec = r.read_u8(type)) return ec;
  if (type != frame_type::repair_report) return wire_errc::wrong_frame_type;
  return detail::decode_repair_report_body(r, f);
}

} // namespace tern::wire
