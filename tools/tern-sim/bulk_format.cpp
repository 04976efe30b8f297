#include "bulk_format.hpp"

#include "recovery/wire_ack.hpp"
#include "wire/frame_reader.hpp"
#include "wire/frames.hpp"
#include "wire/header.hpp"
#include "wire/packet_number.hpp"
#include "wire/writer.hpp"

#include <array>
#include <cstring>
#include <type_traits>

namespace tern::bulk {
namespace {

constexpr std::size_t header_size = 1 + wire::packet_number_length; // empty DCID
// STREAM type, stream id 0, an 8-byte offset varint, no length field.
constexpr std::size_t max_stream_overhead = 1 + 1 + 8;
constexpr std::size_t max_payload = 65536;
constexpr std::array<std::byte, max_payload> zeros{};

// Detects every single-bit error (each step is a bijection of the state), a
// word at a time.
std::uint32_t check_of(std::span<const std::byte> d) noexcept {
  std::uint64_t h = 0x243f6a8885a308d3ULL ^ d.size();
  std::size_t i = 0;
  for (; i + 8 <= d.size(); i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, d.data() + i, 8);
    h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
  }
  for (; i < d.size(); ++i) {
    h = (h ^ std::to_integer<std::uint64_t>(d[i])) * 0x100000001b3ULL;
    h ^= h >> 29;
  }
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

std::size_t seal(std::span<std::byte> out, std::size_t used) {
  if (used + check_size > out.size()) return 0;
  const std::uint32_t c = check_of(out.first(used));
  for (std::size_t i = 0; i < check_size; ++i)
    out[used + i] = static_cast<std::byte>((c >> (24 - 8 * i)) & 0xff);
  return used + check_size;
}

bool write_header(wire::writer& w, std::uint64_t packet_number) {
  wire::packet_header h;
  h.type = wire::packet_type::one_rtt;
  h.packet_number = wire::truncate_packet_number(packet_number);
  return !wire::encode_header(w, h, 0);
}

} // namespace

std::size_t payload_per_packet(std::size_t mtu) noexcept {
  const std::size_t overhead = header_size + max_stream_overhead + check_size;
  return mtu > overhead ? std::min(mtu - overhead, max_payload) : 0;
}

std::size_t encode_data(std::span<std::byte> out, std::uint64_t packet_number, std::uint64_t offset,
                        std::size_t length) {
  if (out.size() < check_size || length > max_payload) return 0;
  wire::writer w{out.first(out.size() - check_size)};
  if (!write_header(w, packet_number)) return 0;
  wire::stream_frame f;
  f.stream_id = 0;
  f.offset = offset;
  f.data = std::span{zeros}.first(length);
  f.has_length = false;
  if (wire::encode(w, f)) return 0;
  return seal(out, w.position());
}

std::size_t encode_ack(std::span<std::byte> out, std::uint64_t packet_number, const recovery::ack_info& ack,
                       bool ping) {
  if (!ack.valid() || out.size() < check_size) return 0;
  wire::writer w{out.first(out.size() - check_size)};
  if (!write_header(w, packet_number)) return 0;
  if (wire::encode(w, recovery::to_wire(ack))) return 0;
  if (ping && wire::encode(w, wire::ping_frame{})) return 0;
  return seal(out, w.position());
}

bool decode(std::span<const std::byte> in, decoded_datagram& out) {
  out = decoded_datagram{};
  if (in.size() <= check_size) return false;
  const auto body = in.first(in.size() - check_size);
  std::uint32_t stored = 0;
  for (std::size_t i = 0; i < check_size; ++i)
    stored = (stored << 8) | std::to_integer<std::uint32_t>(in[body.size() + i]);
  if (stored != check_of(body)) return false;

  wire::decoded_header h;
  if (wire::decode_header(body, 0, h) || h.header.type != wire::packet_type::one_rtt) return false;
  out.truncated_packet_number = h.header.packet_number;
  bool ok = true;
  const auto ec = wire::for_each_frame(h.payload, wire::packet_type::one_rtt, [&](const wire::frame& f) {
    if (const auto* s = std::get_if<wire::stream_frame>(&f)) {
      out.flags |= flag_data;
      out.offset = s->offset;
      out.length = s->data.size();
    } else if (const auto* a = std::get_if<wire::ack_frame>(&f)) {
      out.flags |= flag_ack;
      out.ack = recovery::from_wire(*a);
    } else if (std::holds_alternative<wire::ping_frame>(f)) {
      out.flags |= flag_ping;
    } else if (!std::holds_alternative<wire::padding_frame>(f)) {
      ok = false;
    }
  });
  return !ec && ok;
}

} // namespace tern::bulk
