#pragma once

#include "wire/errc.hpp"
#include "wire/varint.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <system_error>

namespace tern::wire {

/// A bounds-checked cursor over received bytes, in network byte order. It
/// never allocates and never copies unless asked to (read_into). Every read
/// either succeeds and advances, or fails with wire_errc::truncated and leaves
/// the position and the output untouched.
class reader {
public:
  constexpr reader() noexcept = default;
  constexpr explicit reader(std::span<const std::byte> data) noexcept : data_(data) {}

  /// Bytes consumed so far.
  constexpr std::size_t position() const noexcept { return pos_; }
  /// Bytes not consumed yet.
  constexpr std::size_t remaining() const noexcept { return data_.size() - pos_; }
  constexpr bool empty() const noexcept { return pos_ == data_.size(); }
  /// The whole underlying buffer.
  constexpr std::span<const std::byte> data() const noexcept { return data_; }
  /// The bytes not consumed yet (a view, nothing is consumed).
  constexpr std::span<const std::byte> rest() const noexcept { return data_.subspan(pos_); }

  /// The next byte, without consuming it. Error: truncated.
  constexpr status peek_u8(std::uint8_t& out) const noexcept {
    if (empty()) return wire_errc::truncated;
    out = std::to_integer<std::uint8_t>(data_[pos_]);
    return {};
  }

  constexpr status read_u8(std::uint8_t& out) noexcept {
    if (empty()) return wire_errc::truncated;
    out = std::to_integer<std::uint8_t>(data_[pos_++]);
    return {};
  }
  /// Big-endian 16-bit integer. Error: truncated.
  constexpr status read_u16(std::uint16_t& out) noexcept {
    std::uint64_t v = 0;
    if (const status ec = read_be(2, v)) return ec;
    out = static_cast<std::uint16_t>(v);
    return {};
  }
  /// Big-endian 32-bit integer. Error: truncated.
  constexpr status read_u32(std::uint32_t& out) noexcept {
    std::uint64_t v = 0;
    if (const status ec = read_be(4, v)) return ec;
    out = static_cast<std::uint32_t>(v);
    return {};
  }
  /// Big-endian 64-bit integer. Error: truncated.
  constexpr status read_u64(std::uint64_t& out) noexcept { return read_be(8, out); }

  /// A varint (RFC 9000 §16), any of its valid lengths. Error: truncated.
  constexpr status read_varint(std::uint64_t& out) noexcept {
    std::size_t consumed = 0;
    if (const status ec = decode_varint(rest(), out, consumed)) return ec;
    pos_ += consumed;
    return {};
  }

  /// The next `n` bytes as a view into the underlying buffer (no copy; valid
  /// as long as that buffer is). Error: truncated. `n` may be any value,
  /// including one taken straight from the input.
  constexpr status read_bytes(std::uint64_t n, std::span<const std::byte>& out) noexcept {
    if (n > remaining()) return wire_errc::truncated;
    out = data_.subspan(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return {};
  }

  /// Copies exactly out.size() bytes into `out`. Error: truncated.
  status read_into(std::span<std::byte> out) noexcept {
    if (out.size() > remaining()) return wire_errc::truncated;
    if (!out.empty()) std::memcpy(out.data(), data_.data() + pos_, out.size());
    pos_ += out.size();
    return {};
  }

  /// Consumes `n` bytes. Error: truncated.
  constexpr status skip(std::uint64_t n) noexcept {
    if (n > remaining()) return wire_errc::truncated;
    pos_ += static_cast<std::size_t>(n);
    return {};
  }

private:
  constexpr status read_be(std::size_t width, std::uint64_t& out) noexcept {
    if (width > remaining()) return wire_errc::truncated;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i) v = (v << 8) | std::to_integer<std::uint64_t>(data_[pos_ + i]);
    pos_ += width;
    out = v;
    return {};
  }

  std::span<const std::byte> data_;
  std::size_t pos_ = 0;
};

} // namespace tern::wire
