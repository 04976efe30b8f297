#pragma once

#include <cstdint>

namespace tern::stream {

/// A stream id (RFC 9000 §2.1): a 62-bit integer whose two low bits are the
/// type. Bit 0 is the initiator (0 client, 1 server), bit 1 the direction
/// (0 bidirectional, 1 unidirectional); the rest is the index of the stream
/// among the streams of that type, counting from 0.
using stream_id = std::uint64_t;

enum class role : std::uint8_t { client = 0, server = 1 };
enum class direction : std::uint8_t { bidi = 0, uni = 1 };

/// Largest value a varint can carry, hence the largest stream id and offset.
inline constexpr std::uint64_t max_varint = (std::uint64_t{1} << 62) - 1;
/// Largest stream count a MAX_STREAMS frame may carry (RFC 9000 §19.11).
inline constexpr std::uint64_t max_stream_count = std::uint64_t{1} << 60;

constexpr role initiator(stream_id id) noexcept { return static_cast<role>(id & 1); }
constexpr direction dir(stream_id id) noexcept { return static_cast<direction>((id >> 1) & 1); }
/// The index among streams of the same type: id 0, 4, 8 -> 0, 1, 2.
constexpr std::uint64_t index(stream_id id) noexcept { return id >> 2; }
constexpr stream_id make_stream_id(role by, direction d, std::uint64_t idx) noexcept {
  return (idx << 2) | (static_cast<std::uint64_t>(d) << 1) | static_cast<std::uint64_t>(by);
}
constexpr bool is_local(stream_id id, role self) noexcept { return initiator(id) == self; }

/// Whether the endpoint `self` has a sending half on `id`: every bidi stream,
/// and the unidirectional streams it opened.
constexpr bool can_send(stream_id id, role self) noexcept {
  return dir(id) == direction::bidi || is_local(id, self);
}
/// Whether the endpoint `self` has a receiving half on `id`: every bidi
/// stream, and the unidirectional streams the peer opened.
constexpr bool can_receive(stream_id id, role self) noexcept {
  return dir(id) == direction::bidi || !is_local(id, self);
}

} // namespace tern::stream
