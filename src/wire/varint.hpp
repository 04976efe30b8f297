#pragma once

// Variable-length integers, RFC 9000 §16: the two high bits of the first byte
// give the encoded length (1, 2, 4 or 8 bytes), the remaining 6, 14, 30 or 62
// bits hold the value in network byte order. Any length that can hold a value
// is a valid encoding of it on input; the encoder always picks the shortest
// unless told a width (for length fields patched after the fact).

#include "wire/errc.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

namespace tern::wire {

/// The largest value a varint can carry: 2^62 - 1.
inline constexpr std::uint64_t varint_max = (std::uint64_t{1} << 62) - 1;

/// Bytes the shortest encoding of `value` takes: 1, 2, 4 or 8; 0 when `value`
/// is above varint_max and cannot be encoded at all.
constexpr std::size_t varint_size(std::uint64_t value) noexcept {
  if (value < (std::uint64_t{1} << 6)) return 1;
  if (value < (std::uint64_t{1} << 14)) return 2;
  if (value < (std::uint64_t{1} << 30)) return 4;
  if (value <= varint_max) return 8;
  return 0;
}

/// Total encoded length (1, 2, 4 or 8) announced by a varint's first byte.
constexpr std::size_t varint_size_from_first_byte(std::byte first) noexcept {
  return std::size_t{1} << (std::to_integer<unsigned>(first) >> 6);
}

/// Whether `value` can be encoded in exactly `width` bytes (width 1, 2, 4 or 8).
constexpr bool varint_fits(std::uint64_t value, std::size_t width) noexcept {
  switch (width) {
  case 1: return value < (std::uint64_t{1} << 6);
  case 2: return value < (std::uint64_t{1} << 14);
  case 4: return value < (std::uint64_t{1} << 30);
  case 8: return value <= varint_max;
  default: return false;
  }
}

/// Writes `value` in exactly `width` bytes (1, 2, 4 or 8) at the start of
/// `out`. Errors: varint_out_of_range when the value does not fit that width
/// (or the width is not 1/2/4/8), no_space when `out` is shorter than `width`.
/// Nothing is written on error.
constexpr status encode_varint_fixed(std::span<std::byte> out, std::uint64_t value,
                                                            std::size_t width) noexcept {
  if (!varint_fits(value, width)) return wire_errc::varint_out_of_range;
  if (out.size() < width) return wire_errc::no_space;
  unsigned prefix = 0;
  switch (width) {
  case 2: prefix = 1; break;
  case 4: prefix = 2; break;
  case 8: prefix = 3; break;
  default: break;
  }
  for (std::size_t i = width; i-- > 0;) {
    out[i] = static_cast<std::byte>(value & 0xff);
    value >>= 8;
  }
  out[0] |= static_cast<std::byte>(prefix << 6);
  return {};
}

/// Writes the shortest encoding of `value` at the start of `out` and stores
/// its length in `written`. Errors: varint_out_of_range (value above
/// varint_max), no_space. Nothing is written on error.
constexpr status encode_varint(std::span<std::byte> out, std::uint64_t value,
                                                      std::size_t& written) noexcept {
  const std::size_t width = varint_size(value);
  if (width == 0) return wire_errc::varint_out_of_range;
  if (const status ec = encode_varint_fixed(out, value, width)) return ec;
  written = width;
  return {};
}

/// Reads one varint from the start of `in` into `value` and its length into
/// `consumed`. Error: truncated when `in` ends inside the varint (or is empty);
/// the outputs are untouched then. Every complete encoding is valid, so no
/// other error is possible.
constexpr status decode_varint(std::span<const std::byte> in, std::uint64_t& value,
                                                      std::size_t& consumed) noexcept {
  if (in.empty()) return wire_errc::truncated;
  const std::size_t width = varint_size_from_first_byte(in[0]);
  if (in.size() < width) return wire_errc::truncated;
  std::uint64_t v = std::to_integer<std::uint64_t>(in[0]) & 0x3f;
  for (std::size_t i = 1; i < width; ++i) v = (v << 8) | std::to_integer<std::uint64_t>(in[i]);
  value = v;
  consumed = width;
  return {};
}

} // namespace tern::wire
