#pragma once

// What a connection tells the application (connection::poll_event()), and
// the bookkeeping that keeps it from telling the same thing twice.

#include "util/lazy_deque.hpp"

#include <array>
#include <cstdint>
#include <deque>
#include <unordered_set>
#include <vector>

namespace tern::core {

struct connection_event {
  enum class kind : std::uint8_t {
    handshake_complete, ///< handshake confirmed (a resumed client: complete); open streams, send data
    stream_opened,      ///< the peer opened `stream_id` (accept_stream() returns it)
    stream_readable,    ///< `stream_id` has data, FIN or a reset to read
    stream_writable,    ///< `stream_id` has room in its send buffer again
    datagram_received,  ///< receive_datagram() has one
    message_received,   ///< receive_message() has an event (a message or a drop notice)
    path_changed,       ///< the peer's new address was validated and is now used
    closed,             ///< the connection is closing, draining or closed: see close_reason()
    target_rate_changed, ///< stats().target_rate moved by more than connection_config::target_rate_change
  };
  kind what = kind::handshake_complete;
  std::uint64_t stream_id = 0;
};

struct event_state {
  util::lazy_deque<connection_event> queue;
  /// A message_received event is out and receive_message() was not called.
  bool message_pending = false;
  /// Streams whose writer was refused room: stream_writable when it frees.
  std::vector<std::uint64_t> want_writable;
  /// Streams with a stream_readable event the application has not read yet.
  std::unordered_set<std::uint64_t> readable_pending;
  /// Per direction: stream_opened was emitted for the peer's streams below
  /// these indexes.
  std::array<std::uint64_t, 2> peer_streams_seen{};
  /// A target_rate_changed event is queued and not yet polled: one is
  /// enough, the application reads the current value.
  bool target_rate_pending = false;
};

} // namespace tern::core
