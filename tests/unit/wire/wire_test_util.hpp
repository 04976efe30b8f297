#pragma once

// Helpers shared by the wire unit tests.

#include "util/hex.hpp"
#include "wire/frames.hpp"
#include "wire/reader.hpp"
#include "wire/writer.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

// Failed checks print an error code as "tern.wire: input truncated".
template <>
struct doctest::StringMaker<std::error_code> {
  static doctest::String convert(const std::error_code& ec) {
    return (std::string{ec.category().name()} + ": " + ec.message()).c_str();
  }
};

namespace tern::wire::test {

/// Bytes from a list of small integers: bytes({0x40, 0x25}).
inline std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

/// Bytes from hex digits; spaces are ignored: hex("c2 19 7c"). Anything
/// else is a mistake in the test; it throws rather than failing a check, so
/// that it also works during static initialisation, before doctest runs.
inline std::vector<std::byte> hex(std::string_view digits) {
  std::string packed;
  for (char c : digits)
    if (c != ' ') packed += c;
  std::error_code ec;
  std::vector<std::byte> out = util::from_hex(packed, ec);
  if (ec) throw std::invalid_argument(ec.message() + " in test bytes " + std::string(digits));
  return out;
}

/// A span over a string's characters, as payload bytes.
inline std::span<const std::byte> text(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

/// Encodes `f` into a fresh buffer, checking the result has exactly
/// encoded_size(f) bytes. The buffer is the one decoded frames point into.
template <class F>
std::vector<std::byte> encode_to_vector(const F& f) {
  std::vector<std::byte> buf(encoded_size(f) + 16);
  writer w{buf};
  const auto ec = encode(w, f);
  REQUIRE_MESSAGE(!ec, ec.message());
  CHECK(w.position() == encoded_size(f));
  buf.resize(w.position());
  return buf;
}

/// Encodes then decodes `f` as the same frame type, checking every byte was
/// consumed and the result compares equal.
template <class F>
void check_round_trip(const F& f) {
  const auto buf = encode_to_vector(f);
  reader r{buf};
  F out{};
  const auto ec = decode(r, out);
  REQUIRE_MESSAGE(!ec, ec.message());
  CHECK(r.empty());
  CHECK(out == f);
  // And through the variant decoder.
  reader r2{buf};
  frame any;
  REQUIRE(!decode_frame(r2, any));
  CHECK(r2.empty());
  REQUIRE(std::holds_alternative<F>(any));
  CHECK(std::get<F>(any) == f);
}

/// Decodes `buf` with the variant decoder and returns the error.
inline std::error_code decode_error(std::span<const std::byte> buf) {
  reader r{buf};
  frame f;
  return decode_frame(r, f);
}

} // namespace tern::wire::test
