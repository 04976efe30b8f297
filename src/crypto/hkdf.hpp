#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <system_error>

namespace tern::crypto {

/// Output length of HKDF-Extract with SHA-256, the only hash tern's key
/// schedule uses (independent of the TLS cipher suite).
inline constexpr std::size_t hkdf_hash_length = 32;

/// HKDF-Extract(salt, ikm) with SHA-256 (RFC 5869 §2.2). Writes exactly 32
/// bytes into `prk`. An empty salt means the RFC's string of zeros.
/// Errors: invalid_argument if `ikm` is empty; internal_error if OpenSSL fails.
std::error_code hkdf_extract(std::span<const std::byte> salt, std::span<const std::byte> ikm,
                             std::span<std::byte, hkdf_hash_length> prk) noexcept;

/// HKDF-Expand(prk, info, out.size()) with SHA-256 (RFC 5869 §2.3).
/// Errors: invalid_argument if `prk` is shorter than 32 bytes or `out` is
/// empty or longer than 255 * 32 bytes; internal_error if OpenSSL fails.
std::error_code hkdf_expand(std::span<const std::byte> prk, std::span<const std::byte> info,
                            std::span<std::byte> out) noexcept;

/// HKDF-Expand-Label (RFC 8446 §7.1) with SHA-256: HKDF-Expand with the info
/// struct { uint16 length = out.size(); opaque label<7..255> = "tls13 " +
/// label; opaque context<0..255> = context; }.
/// Errors: invalid_argument if the label exceeds 249 bytes, the context 255
/// bytes, or `out` 65535 bytes (plus hkdf_expand's errors).
std::error_code hkdf_expand_label(std::span<const std::byte> secret, std::string_view label,
                                  std::span<const std::byte> context, std::span<std::byte> out) noexcept;

} // namespace tern::crypto
