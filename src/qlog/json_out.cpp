// See json_out.hpp.

#include "qlog/json_out.hpp"

#include "util/hex.hpp"

#include <charconv>
#include <chrono>

namespace tern::qlog::json {

void append(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_ms(std::string& out, duration d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  if (us < 0) {
    out += '-';
    us = -us;
  }
  append(out, static_cast<std::uint64_t>(us / 1000));
  const auto frac = static_cast<unsigned>(us % 1000);
  out += '.';
  out += static_cast<char>('0' + frac / 100);
  out += static_cast<char>('0' + frac / 10 % 10);
  out += static_cast<char>('0' + frac % 10);
}

void append_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s)
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') out += c;
  out += '"';
}

void append_hex(std::string& out, std::span<const std::byte> bytes) {
  out += '"';
  util::append_hex(out, bytes);
  out += '"';
}

} // namespace tern::qlog::json
