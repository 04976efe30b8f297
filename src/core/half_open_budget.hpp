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
//
// And it remembers, for a while, the sources whose handshakes were dropped
// because their client never answered (unanswered()): the endpoint admits
// such a source again only while the table is less than half full, so
// hosts that take places and never answer cannot keep every place turning
// over among themselves while a host with a clean record waits.

#include "core/address.hpp"
#include "core/endpoint_timers.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>
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
  /// Sources remembered as leaving a handshake unanswered, at most; past
  /// it the oldest record goes (a flood from more hosts than this evades
  /// the record, not the answer deadline).
  static constexpr std::size_t max_unanswered_sources = 4096;
  /// `source` left a handshake unanswered at `now`; remembered until
  /// now + `for_how_long`.
  void note_unanswered(const address& source, time_point now, duration for_how_long);
  /// Whether `source` left a handshake unanswered and its record has not
  /// expired by `now`.
  bool unanswered(const address& source, time_point now) const;
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
  /// Each recorded source's expiry, and the records in the order made (to
  /// expire and evict the oldest first; a source recorded again has a
  /// stale entry here, skipped).
  std::unordered_map<source_key, time_point, key_hash> unanswered_;
  std::deque<std::pair<source_key, time_point>> unanswered_order_;
};

} // namespace tern::core
