#pragma once
// Test helpers: deterministic byte patterns.

#include <tern/random.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tern::stream::test {

/// `n` bytes where byte i is a function of (i + salt): overlapping or
/// misplaced data shows up as a mismatch.
inline std::vector<std::byte> pattern(std::size_t n, std::uint64_t salt = 0) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>(((i + salt) * 2654435761u) >> 13);
  return v;
}

inline std::vector<std::byte> random_bytes(random_source& rng, std::size_t n) {
  std::vector<std::byte> v(n);
  rng.fill(v);
  return v;
}

} // namespace tern::stream::test
