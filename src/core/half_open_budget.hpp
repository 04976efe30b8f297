#pragma once

// Handshakes in progress on one endpoint, in all and per source IP address:
// what a flood of Initials can hold. The per-source table has an entry only
// for a source with a handshake in progress, so it is bounded by the total.
//
// It also picks which handshake gives way when the table is full and a
// client whose address was validated (it answered a Retry, or brought a
// NEW_TOKEN token) arrives: the oldest of the source holding the most, and
// only if that source holds at least two more than the newcomer's. So hosts
// that pass validation share max_half_open fairly: a source with none gets
// in whenever some source holds two or more, while equally loaded sources
// never displace each other (no churn, each displacement costs the server a
// new TLS handshake).

#include "core/address.hpp"
#include "core/endpoint_timers.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace tern::core {

class half_open_budget {
public:
  /// Handshakes in progress from `source`'s IP address.
  std::size_t from(const address& source) const;
  /// `handle`'s handshake from `source` is in progress (newest last).
  void add(const address& source, connection_handle handle);
  /// `handle` from `source` must have been added.
  void release(const address& source, connection_handle handle) noexcept;
  /// The handshake to drop for a newcomer whose source holds `holds`: the
  /// oldest of the source holding the most, if that is at least holds + 2;
  /// 0 (no connection) otherwise. O(sources).
  connection_handle displaceable(std::size_t holds) const noexcept;
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

  /// Each source's handshakes, oldest first (a few: max_half_open_per_source).
  std::unordered_map<source_key, std::vector<connection_handle>, key_hash> per_source_;
  std::size_t total_ = 0;
};

} // namespace tern::core
