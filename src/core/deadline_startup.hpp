#pragma once

// Deadline start-up (docs/streams.md, "Deadline start-up"): what a
// connection's first round trips let packets carrying deadline messages do
// beyond the congestion controller's window and pacer.
//
// A media stream starts at its full rate - a 4 Mbit/s, 30 fps stream
// queues a 16.7 kB frame every 33 ms from its first frame on - while the
// controller starts from a 13.2 kB window paced over the handshake's round
// trip. Frames that queue behind that start arrive a round trip late, which
// a stream with a 200 ms path and a 150 ms latency goal cannot afford. The
// controller's model is left alone; this decides, packet by packet, whether
// a deadline-message packet it holds back may go anyway, and bounds how far.
//
// Pure: the connection passes in what it knows (connection_send.cpp,
// plan_datagram), so the rule is tested without a connection.

#include "recovery/sender.hpp"

#include <cstddef>
#include <cstdint>

namespace tern::core {

struct deadline_startup_config {
  /// Bytes in flight beyond the congestion window while the controller is
  /// in start-up (connection_config::message_cwnd_allowance).
  std::uint64_t allowance = 0;
  /// Further bytes beyond the window while the connection has seen no loss
  /// at all (connection_config::message_lossless_allowance).
  std::uint64_t lossless_allowance = 0;
  /// While no loss was seen, the controller's initial window (and the
  /// repair behind it) may leave as one burst instead of paced over the
  /// handshake's round trip (connection_config::message_first_window_burst).
  bool first_window_burst = false;
  /// Packets the allowances let past the window still wait for the pacer
  /// once a loss was seen (connection_config::message_paced_after_loss).
  bool paced_after_loss = false;
};

/// The sender's state when it holds a packet back.
struct deadline_startup_state {
  /// What holds the packet back (congestion_window or pacing; anything
  /// else is never overridden).
  recovery::send_limit limit = recovery::send_limit::none;
  /// cc::controller::in_startup().
  bool in_startup = false;
  /// A packet was declared lost, repaired by the peer's FEC, or marked CE.
  bool loss_seen = false;
  std::uint64_t bytes_in_flight = 0;
  std::uint64_t congestion_window = 0;
  /// The controller's initial window, bytes.
  std::uint64_t initial_window = 0;
  /// The packet's size.
  std::uint64_t packet_bytes = 0;
  /// The packet will carry repair (fec::connection_repair::repair_due()).
  bool repair_next = false;
};

/// Whether a packet that carries only deadline messages (and ACKs, control
/// or repair frames) may be sent although `s.limit` holds it back. The
/// caller has checked that a deadline message has data that can still
/// arrive in time, or repair protecting such data is due.
[[nodiscard]] bool deadline_startup_lets_go(const deadline_startup_config& c,
                                            const deadline_startup_state& s) noexcept;

/// Whether a packet deadline_startup_lets_go() let past the congestion
/// window must still wait for the pacer (the caller asks the pacer). Never
/// for a packet held by the pacer itself: that is the first-window burst.
[[nodiscard]] bool deadline_startup_paces(const deadline_startup_config& c, const deadline_startup_state& s) noexcept;

} // namespace tern::core
