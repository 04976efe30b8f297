#pragma once

#include <cstddef>
#include <initializer_list>
#include <span>

namespace tern::stun {

enum class hmac_algorithm { sha1, sha256 };

/// Output size of the algorithm in bytes (20 for SHA-1, 32 for SHA-256).
constexpr std::size_t hmac_size(hmac_algorithm a) noexcept { return a == hmac_algorithm::sha1 ? 20 : 32; }

/// HMAC of the concatenation of `parts` under `key` (any length, empty
/// included), through OpenSSL's EVP_MAC. Writes hmac_size(algorithm) bytes
/// to `out`, which must be at least that large. Returns false if OpenSSL
/// fails (out of memory, algorithm unavailable) or `out` is too small.
bool hmac(hmac_algorithm algorithm, std::span<const std::byte> key,
          std::initializer_list<std::span<const std::byte>> parts, std::span<std::byte> out) noexcept;

} // namespace tern::stun
