#pragma once

// The endpoint's one timer structure: each connection's next_timeout(),
// ordered, so the earliest is read in O(1) and a connection's deadline moves
// in O(log n) however many connections the endpoint holds. Deadlines move
// after nearly every datagram (ACK delay, pacing, loss timers), so a move
// re-keys the node in place instead of freeing and allocating one.

#include <tern/time.hpp>

#include <cstdint>
#include <map>

namespace tern::core {

using connection_handle = std::uint64_t;

class endpoint_timers {
public:
  /// Where a connection sits in the queue; default-constructed: nowhere.
  class slot {
    friend class endpoint_timers;
    std::multimap<time_point, connection_handle>::iterator at_;
    bool armed_ = false;
  };

  /// Puts `h` at `deadline` (tern::never takes it out).
  void set(slot& s, connection_handle h, time_point deadline);
  void clear(slot& s) noexcept;

  /// The earliest deadline; tern::never when nothing is armed.
  time_point earliest() const noexcept { return queue_.empty() ? never : queue_.begin()->first; }
  /// The connection due first at `now`, or 0 when none is due. It stays
  /// queued: its owner re-arms it after running its timeout.
  connection_handle first_due(time_point now) const noexcept;
  std::size_t size() const noexcept { return queue_.size(); }

private:
  std::multimap<time_point, connection_handle> queue_;
};

} // namespace tern::core
