#pragma once

// The one-way delay a deadline message is judged by: can it still arrive
// before its deadline if sent now? Half the smoothed RTT while packets are
// in flight; half the minimum RTT when none are; nothing before any RTT
// sample (a resuming client's early messages, below).
// With nothing in flight the bottleneck holds nothing of ours, and the
// smoothed RTT is stale: it only moves with acknowledgements of new packets. Judged by it, a queue that
// once pushed it past twice the deadline (746 ms against 300 ms, after a
// 6 Mbit/s sender met a 2 Mbit/s path) would stop every message for good,
// and nothing sent means it never comes down.

#include "recovery/sender.hpp"

#include <tern/time.hpp>

namespace tern::core {

inline duration message_one_way_delay(const recovery::sender& s) noexcept {
  // Before any RTT sample only a resuming client's early messages are sent
  // (0-RTT), and the initial RTT is a guess (333 ms): judged by its half, a
  // 150 ms media frame would never go early. Nothing is known, so only the
  // deadline counts; the same message left unacknowledged is judged by the
  // measured RTT once the handshake gave one.
  if (!s.rtt().has_sample()) return duration::zero();
  const bool idle = s.bytes_in_flight() == 0;
  return idle ? s.rtt().min_rtt() / 2 : s.rtt().smoothed_rtt() / 2;
}

} // namespace tern::core
