#pragma once

// Small helpers shared by the STUN unit tests.

#include "stun/message.hpp"

#include <doctest/doctest.h>

#include <string>
#include <system_error>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace tern::stun::test {

inline transaction_id make_id(std::uint8_t seed) {
  transaction_id id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::byte>(seed + i * 7);
  return id;
}

inline std::vector<std::byte> copy(std::span<const std::byte> s) { return {s.begin(), s.end()}; }

inline std::span<const std::byte> text_bytes(std::string_view s) {
  return std::as_bytes(std::span{s.data(), s.size()});
}

inline std::vector<std::byte> key_of(std::string_view password) {
  const auto b = text_bytes(password);
  return {b.begin(), b.end()};
}

inline void put_u16(std::vector<std::byte>& v, std::size_t at, std::uint16_t x) {
  v[at] = static_cast<std::byte>(x >> 8);
  v[at + 1] = static_cast<std::byte>(x & 0xff);
}

} // namespace tern::stun::test

// Failed checks on error codes print "tern.stun: <message>".
template <>
struct doctest::StringMaker<std::error_code> {
  static doctest::String convert(const std::error_code& ec) {
    const std::string text = std::string(ec.category().name()) + ": " + ec.message();
    return doctest::String(text.c_str());
  }
};
