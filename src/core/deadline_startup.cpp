// Deadline start-up: the rule (deadline_startup.hpp; docs/streams.md).
//
// Outside the controller's start-up nothing is overridden: a small window
// there is the controller's response (to loss, or BBR's ProbeRTT, which the
// allowance would keep from ever draining).
//
// In start-up, bytes in flight may exceed the window by the allowance, and
// by the lossless allowance more until the first loss: a path that has lost
// nothing has shown no queue overflowing, and the first loss ends the
// extra, so a thin path pays it once, not every round trip.
//
// Pacing: RFC 9002 §7.7 lets a sender burst up to its initial window. Until
// the first loss, deadline packets are not paced while less than the
// initial window is in flight: the first window leaves as that burst rather
// than spread over the handshake's round trip (13.2 kB paced at
// 2.89 x window / 200 ms takes 80 ms to leave, and the first frame waited
// for all of it). The test is on the bytes in flight before the packet, not
// after: the burst leaves the pacer in debt, so a packet refused the bypass
// waits out that debt (57 ms measured on loopback for the window's last
// packet). For the same reason repair due next goes unpaced too while the
// window has room: held behind a burst of its sources, it came after the
// sender had given up on the rebuild and retransmitted them. Past that,
// packets are paced as the controller says.
//
// Past the window: the congestion-window check comes before the pacer's,
// so a packet let past the window was not paced either. On a path thinner
// than the stream (4 Mbit/s over 2 Mbit/s, 30-packet queue) that refilled
// the queue every round trip: each loss cut the window, which let more go
// unpaced past it, 295 packets lost against 56 without deadline start-up.
// So after the first loss those packets wait for the pacer too (131 lost).
// Before it they stay unpaced: pacing them from the first window on lost
// about what no deadline start-up loses (59), but at BBR's first estimate
// it held 8 of the first 30 frames over 150 ms on a lossy 200 ms path
// (media_fec_test.cpp). docs/streams.md has the figures.

#include "core/deadline_startup.hpp"

namespace tern::core {

bool deadline_startup_lets_go(const deadline_startup_config& c, const deadline_startup_state& s) noexcept {
  if (!s.in_startup) return false;
  const std::uint64_t in_flight_after = s.bytes_in_flight + s.packet_bytes;
  switch (s.limit) {
  case recovery::send_limit::congestion_window: {
    const std::uint64_t beyond = c.allowance + (s.loss_seen ? 0 : c.lossless_allowance);
    return beyond > 0 && in_flight_after <= s.congestion_window + beyond;
  }
  case recovery::send_limit::pacing:
    if (!c.first_window_burst || s.loss_seen) return false;
    return s.bytes_in_flight < s.initial_window || (s.repair_next && s.bytes_in_flight < s.congestion_window);
  default:
    return false;
  }
}

bool deadline_startup_paces(const deadline_startup_config& c, const deadline_startup_state& s) noexcept {
  if (!c.paced_after_loss || s.limit != recovery::send_limit::congestion_window) return false;
  return s.loss_seen;
}

} // namespace tern::core
