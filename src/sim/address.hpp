#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>

namespace tern::sim {

/// A simulated transport address: a host number and a port. Plain values,
/// ordered and hashable; nothing is resolved.
struct address {
  std::uint32_t host = 0;
  std::uint16_t port = 0;

  friend constexpr auto operator<=>(const address&, const address&) = default;

  /// host and port packed into one integer (for hashing and trace digests).
  constexpr std::uint64_t key() const noexcept { return (static_cast<std::uint64_t>(host) << 16) | port; }
};

/// "host:port", e.g. "3:4433".
inline std::string to_string(address a) { return std::to_string(a.host) + ":" + std::to_string(a.port); }

} // namespace tern::sim

template <>
struct std::hash<tern::sim::address> {
  std::size_t operator()(tern::sim::address a) const noexcept { return std::hash<std::uint64_t>{}(a.key()); }
};
