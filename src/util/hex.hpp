#pragma once

// Bytes as hexadecimal text and back: the one encoder and decoder every
// part of tern uses (qlog connection IDs, certificate fingerprints, tern-cp's
// and tern-sim's SHA-256 digests, test vectors).

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tern::util {

enum class hex_case { lower, upper };

/// Appends two digits per byte to `out`, no separators. Appending, not
/// returning, so the qlog writer can put them straight into its line.
void append_hex(std::string& out, std::span<const std::byte> bytes, hex_case c = hex_case::lower);

/// `bytes` as two digits per byte, no separators.
std::string to_hex(std::span<const std::byte> bytes, hex_case c = hex_case::lower);

/// Why from_hex() refused its input. The category is "tern.hex".
enum class hex_errc {
  odd_length = 1, ///< an odd number of characters: the last byte would be half a byte
  invalid_digit,  ///< a character other than 0-9, a-f, A-F (separators included)
  wrong_length,   ///< the digits make more or fewer bytes than the caller expects
};

const std::error_category& hex_category() noexcept;

inline std::error_code make_error_code(hex_errc e) noexcept { return {static_cast<int>(e), hex_category()}; }

/// Decodes `text`, two digits (either case) per byte, nothing between them.
/// Returns the bytes and clears `ec`; on odd_length or invalid_digit returns
/// nothing and sets `ec`.
std::vector<std::byte> from_hex(std::string_view text, std::error_code& ec);

/// Decodes `text` into `out`, which must take exactly text.size() / 2
/// bytes; never allocates. Errors: odd_length, invalid_digit, wrong_length;
/// `out` is then unspecified.
std::error_code from_hex(std::string_view text, std::span<std::byte> out) noexcept;

} // namespace tern::util

template <>
struct std::is_error_code_enum<tern::util::hex_errc> : std::true_type {};
