#include "util/hex.hpp"

namespace tern::util {

namespace {

// -1 for anything that is not a hex digit.
int digit_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class hex_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "tern.hex"; }
  std::string message(int value) const override {
    switch (static_cast<hex_errc>(value)) {
    case hex_errc::odd_length:
      return "odd number of hex digits";
    case hex_errc::invalid_digit:
      return "not a hex digit";
    case hex_errc::wrong_length:
      return "hex digits for another number of bytes";
    }
    return "unknown hex error";
  }
};

} // namespace

void append_hex(std::string& out, std::span<const std::byte> bytes, hex_case c) {
  const char* digits = c == hex_case::lower ? "0123456789abcdef" : "0123456789ABCDEF";
  for (const std::byte b : bytes) {
    out.push_back(digits[static_cast<unsigned>(b) >> 4]);
    out.push_back(digits[static_cast<unsigned>(b) & 0xf]);
  }
}

std::string to_hex(std::span<const std::byte> bytes, hex_case c) {
  std::string out;
  out.reserve(bytes.size() * 2);
  append_hex(out, bytes, c);
  return out;
}

const std::error_category& hex_category() noexcept {
  static const hex_category_impl category;
  return category;
}

std::error_code from_hex(std::string_view text, std::span<std::byte> out) noexcept {
  if (text.size() % 2 != 0) return hex_errc::odd_length;
  if (text.size() / 2 != out.size()) return hex_errc::wrong_length;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = digit_value(text[2 * i]);
    const int lo = digit_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return hex_errc::invalid_digit;
    out[i] = static_cast<std::byte>((hi << 4) | lo);
  }
  return {};
}

std::vector<std::byte> from_hex(std::string_view text, std::error_code& ec) {
  if (text.size() % 2 != 0) {
    ec = hex_errc::odd_length;
    return {};
  }
  std::vector<std::byte> out(text.size() / 2);
  ec = from_hex(text, out);
  if (ec) out.clear();
  return out;
}

} // namespace tern::util
