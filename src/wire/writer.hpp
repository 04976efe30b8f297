#pragma once

#include "util/assert.hpp"
#include "wire/errc.hpp"
#include "wire/varint.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <system_error>

namespace tern::wire {

/// A bounds-checked cursor over a caller-provided output buffer, writing in
/// network byte order. It never allocates. Every write either succeeds
/// completely and advances, or fails (wire_errc::no_space, or
/// varint_out_of_range for a varint) without writing anything.
class writer {
public:
  constexpr writer() noexcept = default;
  constexpr explicit writer(std::span<std::byte> buffer) noexcept : buf_(buffer) {}

  /// Bytes written so far.
  constexpr std::size_t position() const noexcept { return pos_; }
  /// Bytes still free.
  constexpr std::size_t remaining() const noexcept { return buf_.size() - pos_; }
  constexpr std::size_t capacity() const noexcept { return buf_.size(); }
  /// The bytes written so far.
  constexpr std::span<std::byte> written() const noexcept { return buf_.first(pos_); }
  /// The whole underlying buffer.
  constexpr std::span<std::byte> buffer() const noexcept { return buf_; }

  /// Forgets everything written after `position` (which must not be past the
  /// current position); used to undo a partly written frame.
  constexpr void rewind(std::size_t position) noexcept {
    TERN_ASSERT(position <= pos_);
    pos_ = position;
  }

  constexpr status write_u8(std::uint8_t v) noexcept { return write_be(1, v); }
  constexpr status write_u16(std::uint16_t v) noexcept { return write_be(2, v); }
  constexpr status write_u32(std::uint32_t v) noexcept { return write_be(4, v); }
  constexpr status write_u64(std::uint64_t v) noexcept { return write_be(8, v); }

  /// The shortest varint encoding of `v`. Errors: varint_out_of_range (v above
  /// varint_max), no_space.
  constexpr status write_varint(std::uint64_t v) noexcept {
    std::size_t n = 0;
    if (const status ec = encode_varint(buf_.subspan(pos_), v, n)) return ec;
    pos_ += n;
    return {};
  }

  /// `v` as a varint of exactly `width` bytes (1, 2, 4 or 8), e.g. a length
  /// field reserved now and patched later with encode_varint_fixed. Errors:
  /// varint_out_of_range (v does not fit that width), no_space.
  constexpr status write_varint(std::uint64_t v, std::size_t width) noexcept {
    if (const status ec = encode_varint_fixed(buf_.subspan(pos_), v, width)) return ec;
    pos_ += width;
    return {};
  }

  /// Copies `bytes`. Error: no_space.
  status write_bytes(std::span<const std::byte> bytes) noexcept {
    if (bytes.size() > remaining()) return wire_errc::no_space;
    if (!bytes.empty()) std::memcpy(buf_.data() + pos_, bytes.data(), bytes.size());
    pos_ += bytes.size();
    return {};
  }

  /// `n` zero bytes (PADDING). Error: no_space.
  status write_zeros(std::size_t n) noexcept {
    if (n > remaining()) return wire_errc::no_space;
    if (n != 0) std::memset(buf_.data() + pos_, 0, n);
    pos_ += n;
    return {};
  }

private:
  constexpr status write_be(std::size_t width, std::uint64_t v) noexcept {
    if (width > remaining()) return wire_errc::no_space;
    for (std::size_t i = width; i-- > 0;) {
      buf_[pos_ + i] = static_cast<std::byte>(v & 0xff);
      v >>= 8;
    }
    pos_ += width;
    return {};
  }

  std::span<std::byte> buf_;
  std::size_t pos_ = 0;
};

} // namespace tern::wire
