#pragma once

// The drain guard: after the target rate's fast cut (target_rate.hpp), hold
// everything but datagrams in the sender until the bottleneck's queue has
// drained.
//
// The fast cut comes a round trip plus 15 ms of busy ACKs after the path
// slows. By then a 6 Mbit/s encoder has put about 230 ms of queue into a
// 2 Mbit/s bottleneck, and the cut reaches the encoder only at its next
// frame; the congestion controller's window (BBR: up to twice a BDP of the
// old rate) lets all of it go. An audio packet sent then waits behind the
// whole queue and misses a 300 ms deadline. So while the estimator is
// draining (from the fast cut until an ACK shows the queue under its
// threshold), the bytes in flight are held to what the measured path
// carries in a minimum RTT plus the queue threshold: no further video or
// stream data joins the queue, and frames wait in the sender, where their
// deadline can still drop them. Datagrams (audio: small, sent once, first in
// every packet) pass: they join a queue that is shrinking.
//
// Unlike real-time mode's cap (delay_bound.hpp) the guard lives only for the
// drain; it never lowers the controller's window or the target afterwards.

#include <tern/time.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace tern::cc {

class drain_guard {
public:
  explicit drain_guard(bool enabled = true) noexcept : enabled_{enabled} {}

  /// Per ACK: the path rate the estimator is draining to (bytes per second,
  /// 0: not draining), the min RTT, the queue it allows and the bytes in
  /// flight after the ACK. Once the flight has come down to the window the
  /// queue is at most the allowed one: the guard lifts, and stays off until
  /// the next drain. (A bulk stream keeps a queue above the threshold for
  /// good; held to the window for as long, it ran at 1 Mbit/s of 20.)
  void update(std::uint64_t draining_rate, duration min_rtt, duration allowed_queue,
              std::uint64_t in_flight) noexcept {
    window_ = 0;
    if (!enabled_ || draining_rate == 0 || min_rtt <= duration::zero()) {
      spent_ = false;
      return;
    }
    if (spent_) return;
    const double seconds = std::chrono::duration<double>(min_rtt + allowed_queue).count();
    const auto window = std::max<std::uint64_t>(static_cast<std::uint64_t>(static_cast<double>(draining_rate) * seconds), 1);
    if (in_flight <= window) {
      spent_ = true;
      return;
    }
    window_ = window;
  }

  /// Bytes that may be in flight while draining (0: no guard).
  [[nodiscard]] std::uint64_t window() const noexcept { return window_; }

  /// A packet of `bytes` more than datagrams would have to wait.
  [[nodiscard]] bool holds(std::uint64_t in_flight, std::uint64_t bytes) const noexcept {
    return window_ != 0 && in_flight + bytes > window_;
  }

private:
  bool enabled_;
  std::uint64_t window_ = 0;
  /// This drain's flight has come down to the window once.
  bool spent_ = false;
};

} // namespace tern::cc
