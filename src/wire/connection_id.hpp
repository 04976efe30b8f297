#pragma once

#include "wire/errc.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

namespace tern::wire {

/// Longest connection ID tern (like RFC 9000 §17.2) allows, in bytes.
inline constexpr std::size_t max_connection_id_length = 20;

/// A connection ID of 0 to 20 bytes, held by value (no allocation).
class connection_id {
public:
  constexpr connection_id() noexcept = default;

  /// Builds a connection ID from `bytes` into `out`. Error:
  /// invalid_connection_id_length when `bytes` is longer than 20 bytes.
  static status from_bytes(std::span<const std::byte> bytes,
                                                  connection_id& out) noexcept {
    if (bytes.size() > max_connection_id_length) return wire_errc::invalid_connection_id_length;
    out.size_ = static_cast<std::uint8_t>(bytes.size());
    std::copy(bytes.begin(), bytes.end(), out.bytes_.begin());
    std::fill(out.bytes_.begin() + out.size_, out.bytes_.end(), std::byte{0});
    return {};
  }

  /// Length in bytes, 0 to 20.
  constexpr std::size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr std::span<const std::byte> bytes() const noexcept { return {bytes_.data(), size_}; }

  friend constexpr bool operator==(const connection_id& a, const connection_id& b) noexcept {
    return a.size_ == b.size_ && std::equal(a.bytes_.begin(), a.bytes_.begin() + a.size_, b.bytes_.begin());
  }

private:
  std::array<std::byte, max_connection_id_length> bytes_{};
  std::uint8_t size_ = 0;
};

} // namespace tern::wire
