#include "stun/crc32.hpp"

#include <array>

namespace tern::stun {

namespace {

// One table lookup per byte; the table is built at compile time so there is
// no start-up cost and no shared mutable state.
constexpr std::array<std::uint32_t, 256> make_table() noexcept {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

constexpr auto table = make_table();

} // namespace

std::uint32_t crc32(std::span<const std::byte> data, std::uint32_t crc) noexcept {
  crc = ~crc;
  for (const std::byte b : data) crc = table[(crc ^ static_cast<std::uint8_t>(b)) & 0xffU] ^ (crc >> 8);
  return ~crc;
}

} // namespace tern::stun
