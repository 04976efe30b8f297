#pragma once

// Handshakes in progress on one endpoint, in all and per source IP address:
// what a flood of Initials can hold. The per-source table has an entry only
// for a source with a handshake in progress, so it is bounded by the total.

#include "core/address.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <unordered_map>

namespace tern::core {

class half_open_budget {
public:
  /// Handshakes in progress from `source`'s IP address.
  std::size_t from(const address& source) const;
  void add(const address& source);
  /// `source` must have been added.
  void release(const address& source) noexcept;
  std::size_t total() const noexcept { return total_; }
  /// Sources with a handshake in progress.
  std::size_t sources() const noexcept { return per_source_.size(); }

private:
  /// Family and IP; the port is left out (one host, many ports).
  using source_key = std::array<std::uint8_t, 17>;
  struct key_hash {
    std::size_t operator()(const source_key& k) const noexcept;
  };
  static source_key key_of(const address& a) noexcept;

  std::unordered_map<source_key, std::size_t, key_hash> per_source_;
  std::size_t total_ = 0;
};

} // namespace tern::core
