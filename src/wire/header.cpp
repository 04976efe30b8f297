// Packet header codec. Decoding is split in two so packet protection can sit
// in between: decode_header_layout reads only what header protection leaves
// in the clear and so finds the packet number and the packet's end (needed to
// coalesce long header packets, RFC 9000 §12.2); decode_header then reads the
// bits protection would have masked. tern's packet number is always 2 bytes,
// so, unlike RFC 9000 §17.2, the first byte carries no packet number length.

#include "wire/header.hpp"

#include "wire/packet_number.hpp"
#include "wire/reader.hpp"
#include "wire/varint.hpp"

#include <algorithm>

namespace tern::wire {
namespace {

constexpr std::uint8_t long_type_bits(packet_type t) noexcept {
  switch (t) {
  case packet_type::initial: return 0x00;
  case packet_type::handshake: return 0x10;
  case packet_type::retry: return 0x20;
  case packet_type::zero_rtt: return 0x30;
  case packet_type::one_rtt: break;
  }
  return 0;
}

bool is_long(packet_type t) noexcept { return t != packet_type::one_rtt; }

status read_cid(reader& r, connection_id& out) noexcept {
  std::uint8_t len = 0;
  if (auto ec = r.read_u8(len)) return ec;
  if (len > max_connection_id_length) return wire_errc::invalid_connection_id_length;
  std::span<const std::byte> bytes;
  if (auto ec = r.read_bytes(len, bytes)) return ec;
  return connection_id::from_bytes(bytes, out);
}

status write_cid(writer& w, const connection_id& cid) noexcept {
  if (auto ec = w.write_u8(static_cast<std::uint8_t>(cid.size()))) return ec;
  return w.write_bytes(cid.bytes());
}

// Header bytes before the length field (long) or the packet number (short).
std::size_t prefix_size(const packet_header& h) noexcept {
  if (!is_long(h.type)) return 1 + h.dcid.size();
  std::size_t n = 1 + 4 + 1 + h.dcid.size() + 1 + h.scid.size();
  if (h.type == packet_type::initial || h.type == packet_type::retry)
    n += varint_size(h.token.size()) + h.token.size();
  return n;
}

} // namespace

bool operator==(const packet_header& a, const packet_header& b) noexcept {
  if (a.type != b.type || a.dcid != b.dcid) return false;
  switch (a.type) {
  case packet_type::one_rtt: return a.key_phase == b.key_phase && a.packet_number == b.packet_number;
  case packet_type::handshake:
  case packet_type::zero_rtt:
    return a.version == b.version && a.scid == b.scid && a.packet_number == b.packet_number;
  case packet_type::initial:
    return a.version == b.version && a.scid == b.scid && a.packet_number == b.packet_number &&
           std::ranges::equal(a.token, b.token);
  case packet_type::retry:
    return a.version == b.version && a.scid == b.scid && std::ranges::equal(a.token, b.token) &&
           a.retry_integrity_tag == b.retry_integrity_tag;
  }
  return false;
}

std::error_code decode_header_layout(std::span<const std::byte> datagram, std::size_t short_dcid_length,
                                     decoded_header& out) noexcept {
  reader r{datagram};
  std::uint8_t first = 0;
  if (auto ec = r.read_u8(first)) return ec;
  if ((first & fixed_bit) == 0) return wire_errc::invalid_first_byte;
  packet_header& h = out.header;
  h = packet_header{};

  if ((first & header_form_bit) == 0) {
    if (short_dcid_length > max_connection_id_length) return wire_errc::invalid_connection_id_length;
    h.type = packet_type::one_rtt;
    std::span<const std::byte> dcid;
    if (auto ec = r.read_bytes(short_dcid_length, dcid)) return ec;
    if (auto ec = connection_id::from_bytes(dcid, h.dcid)) return ec;
    out.packet_number_offset = r.position();
    if (r.remaining() < packet_number_length) return wire_errc::truncated;
    out.header_length = r.position() + packet_number_length;
    out.packet_length = datagram.size();
    out.payload = datagram.subspan(out.header_length);
    return {};
  }

  // The version decides what the rest means, so it is checked first.
  if (auto ec = r.read_u32(h.version)) return ec;
  if (!is_supported_version(h.version)) return wire_errc::unsupported_version;
  switch (first & long_type_mask) {
  case 0x00: h.type = packet_type::initial; break;
  case 0x10: h.type = packet_type::handshake; break;
  case 0x20: h.type = packet_type::retry; break;
  default: h.type = packet_type::zero_rtt; break;
  }
  if (auto ec = read_cid(r, h.dcid)) return ec;
  if (auto ec = read_cid(r, h.scid)) return ec;

  if (h.type == packet_type::initial || h.type == packet_type::retry) {
    std::uint64_t token_length = 0;
    if (auto ec = r.read_varint(token_length)) return ec;
    if (auto ec = r.read_bytes(token_length, h.token)) return ec;
  }
  if (h.type == packet_type::retry) {
    if (auto ec = r.read_into(h.retry_integrity_tag)) return ec;
    out.packet_number_offset = 0;
    out.header_length = r.position();
    out.packet_length = r.position();
    out.payload = {};
    return {};
  }

  std::uint64_t length = 0;
  if (auto ec = r.read_varint(length)) return ec;
  if (length < packet_number_length) return wire_errc::invalid_packet_length;
  if (length > r.remaining()) return wire_errc::truncated;
  out.packet_number_offset = r.position();
  out.header_length = r.position() + packet_number_length;
  out.packet_length = r.position() + static_cast<std::size_t>(length);
  out.payload = datagram.subspan(out.header_length, out.packet_length - out.header_length);
  return {};
}

std::error_code decode_header(std::span<const std::byte> datagram, std::size_t short_dcid_length,
                              decoded_header& out) noexcept {
  if (auto ec = decode_header_layout(datagram, short_dcid_length, out)) return ec;
  const auto first = std::to_integer<std::uint8_t>(datagram[0]);
  packet_header& h = out.header;
  if (h.type == packet_type::retry) {
    if ((first & long_reserved_mask) != 0) return wire_errc::reserved_bits_set;
    return {};
  }
  if (h.type == packet_type::one_rtt) {
    if ((first & short_reserved_mask) != 0) return wire_errc::reserved_bits_set;
    h.key_phase = (first & key_phase_bit) != 0;
  } else if ((first & long_reserved_mask) != 0) {
    return wire_errc::reserved_bits_set;
  }
  // The layout guaranteed both packet number bytes are present.
  h.packet_number = static_cast<std::uint16_t>(
      (std::to_integer<unsigned>(datagram[out.packet_number_offset]) << 8) |
      std::to_integer<unsigned>(datagram[out.packet_number_offset + 1]));
  return {};
}

std::size_t length_field_offset(const packet_header& h) noexcept {
  if (h.type != packet_type::initial && h.type != packet_type::handshake && h.type != packet_type::zero_rtt) return 0;
  return prefix_size(h);
}

std::size_t encoded_header_size(const packet_header& h, std::size_t payload_length,
                                std::size_t length_width) noexcept {
  std::size_t n = prefix_size(h);
  switch (h.type) {
  case packet_type::retry: return n + retry_integrity_tag_length;
  case packet_type::one_rtt: return n + packet_number_length;
  case packet_type::initial:
  case packet_type::handshake:
  case packet_type::zero_rtt: break;
  }
  const std::size_t width = length_width != 0 ? length_width : varint_size(packet_number_length + payload_length);
  return n + width + packet_number_length;
}

std::error_code encode_header(writer& w, const packet_header& h, std::size_t payload_length,
                              std::size_t length_width) noexcept {
  const std::size_t start = w.position();
  auto fail = [&](std::error_code ec) {
    w.rewind(start);
    return ec;
  };

  if (h.type == packet_type::one_rtt) {
    const auto first = static_cast<std::uint8_t>(fixed_bit | (h.key_phase ? key_phase_bit : 0));
    if (w.remaining() < encoded_header_size(h, payload_length)) return wire_errc::no_space;
    if (auto ec = w.write_u8(first)) return fail(ec);
    if (auto ec = w.write_bytes(h.dcid.bytes())) return fail(ec);
    if (auto ec = w.write_u16(h.packet_number)) return fail(ec);
    return {};
  }

  const auto first = static_cast<std::uint8_t>(header_form_bit | fixed_bit | long_type_bits(h.type));
  if (auto ec = w.write_u8(first)) return fail(ec);
  if (auto ec = w.write_u32(h.version)) return fail(ec);
  if (auto ec = write_cid(w, h.dcid)) return fail(ec);
  if (auto ec = write_cid(w, h.scid)) return fail(ec);
  if (h.type == packet_type::initial || h.type == packet_type::retry) {
    if (auto ec = w.write_varint(h.token.size())) return fail(ec);
    if (auto ec = w.write_bytes(h.token)) return fail(ec);
  }
  if (h.type == packet_type::retry) {
    if (auto ec = w.write_bytes(h.retry_integrity_tag)) return fail(ec);
    return {};
  }
  const std::uint64_t length = std::uint64_t{packet_number_length} + payload_length;
  if (auto ec = length_width == 0 ? w.write_varint(length) : w.write_varint(length, length_width))
    return fail(ec);
  if (auto ec = w.write_u16(h.packet_number)) return fail(ec);
  return {};
}

std::error_code set_length_field(std::span<std::byte> packet, const packet_header& h, std::size_t payload_length,
                                 std::size_t length_width) noexcept {
  const std::size_t offset = length_field_offset(h);
  if (offset == 0) return wire_errc::invalid_packet_length;
  if (offset > packet.size()) return wire_errc::no_space;
  return encode_varint_fixed(packet.subspan(offset), std::uint64_t{packet_number_length} + payload_length,
                             length_width);
}

} // namespace tern::wire
