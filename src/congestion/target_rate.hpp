#pragma once

// The target rate: what a media encoder may produce so that its data crosses
// the path without building a queue. Derived per ACK from the congestion
// controller's bandwidth estimate, the delivery rate the ACKs show and the
// queueing delay (smoothed RTT above the minimum), less headroom for
// retransmission and repair, and smoothed: it falls at once when the path
// shows a standing queue, and rises at a bounded pace otherwise. See
// target_rate.cpp for the rule and docs/media-rate.md for what an encoder
// does with it.

#include "congestion/busy_ack_rate.hpp"
#include "congestion/rate_sample.hpp"
#include "congestion/standing_queue.hpp"
#include "congestion/windowed_filter.hpp"

#include <tern/time.hpp>

#include <cstdint>

namespace tern::cc {

struct target_rate_config {
  /// Fraction of the path kept free for retransmissions and repair, at the
  /// least; the measured loss rate is added to it.
  double headroom = 0.05;
  /// The headroom never exceeds this (a lossy path still gets a target).
  double max_headroom = 0.5;
  /// What counts as a standing queue (by default more than 10 ms + a
  /// tenth of the min RTT, through a window of 1.5 min RTTs).
  standing_queue_config queue{};
  /// While queueing, the target is cut further so the queue drains within
  /// about this long: factor 1 - (excess queueing delay / drain_horizon),
  /// at least min_drain_factor.
  duration drain_horizon = std::chrono::milliseconds(250);
  double min_drain_factor = 0.25;
  /// Without a queue the target may reach probe_gain × the recent delivery
  /// rate: an encoder that follows it sends a little more than the path
  /// has shown it carries, which is how an application-limited sender
  /// finds out that the path got faster. Larger climbs faster after a
  /// recovery and overshoots further each time it meets the capacity, so
  /// the gain is probe_gain near the capacity the last cut measured and
  /// fast_probe_gain once the path delivers more than far_above × that
  /// capacity (or before any cut).
  double probe_gain = 1.1;
  double fast_probe_gain = 1.25;
  double far_above = 1.1;
  /// Rises are at most this factor per second (exponential growth between
  /// ACKs: a doubling time of one second at 2.0).
  double max_increase_per_second = 2.0;
  /// After a cut, no rise for this many smoothed RTTs: the queue the cut
  /// answers takes a round trip to drain and to show in the RTT.
  double hold_after_cut_rtts = 1.0;
  /// Delivery-rate samples are kept over clamp(min RTT, these bounds): long
  /// enough to span a frame interval's burst and its gap, short enough that
  /// a rate drop shows within a round trip.
  duration sample_window_min = std::chrono::milliseconds(50);
  duration sample_window_max = std::chrono::milliseconds(500);
  /// The fast cut: the bottleneck's rate read from busy ACKs
  /// (busy_ack_rate.hpp) shows a rate drop a round trip after it, where the
  /// standing queue takes 1.5 min RTTs more. When an ACK shows a queue above
  /// the threshold and the busy rate less the headroom is below
  /// fast_cut_below × the target, the target is cut at once to it (and
  /// further to drain the queue, as above). The margin keeps ACKs timed by
  /// the sender rather than the path (bursts with gaps, all reading as a
  /// queue at a low rate) from cutting: they show about what was sent.
  busy_ack_rate_config busy{};
  double fast_cut_below = 0.75;
  /// Time constant of the loss-rate average.
  duration loss_time_constant = std::chrono::seconds(2);
};

/// One ACK's worth of what the estimator reads.
struct target_rate_sample {
  time_point now{};
  /// The controller's bandwidth estimate (bytes per second, 0: none yet).
  std::uint64_t bandwidth_estimate = 0;
  /// The delivery-rate sample the same ACK produced.
  rate_sample delivery{};
  /// The ACK's RTT sample less the peer's ack delay (zero: no sample).
  duration latest_rtt{0};
  duration smoothed_rtt{0};
  duration min_rtt{0};
  std::uint64_t bytes_acked = 0;
  /// The connection's total delivered bytes after this ACK (the busy ACK
  /// clock; 0: not known, no fast cut).
  std::uint64_t delivered = 0;
  /// Real-time mode's window cap is in force on a path measured to carry
  /// this many bytes per second (delay_bound::capped_rate; 0: no cap). The
  /// target is then at most that less the headroom, at once: the cap
  /// answers a rate drop a round trip after it, before the standing queue
  /// shows it.
  std::uint64_t capped_rate = 0;
};

/// Follows the target rate. Not thread-safe; one per path. Deterministic:
/// time only comes in the samples.
class target_rate_estimator {
public:
  explicit target_rate_estimator(const target_rate_config& config = {}) noexcept;

  void on_ack(const target_rate_sample& s);
  /// Bytes newly declared lost; `persistent` (RFC 9002 §7.6 persistent
  /// congestion) halves the target at once.
  void on_loss(time_point now, std::uint64_t bytes_lost, bool persistent);

  /// Bytes per second; 0 until the first delivery-rate sample or bandwidth
  /// estimate.
  [[nodiscard]] std::uint64_t target() const noexcept { return static_cast<std::uint64_t>(target_); }
  /// The standing queue's delay (standing_queue.hpp) at the last ACK.
  [[nodiscard]] duration queueing_delay() const noexcept { return queue_.delay(); }
  /// The last ACK showed a standing queue above the threshold.
  [[nodiscard]] bool queueing() const noexcept { return queue_.congested(); }
  /// Since a fast cut, every ACK has shown a queue above the threshold: the
  /// path rate the cut measured (bytes per second), else 0. The drain guard
  /// (drain_guard.hpp) holds the flight to it.
  [[nodiscard]] std::uint64_t draining_rate() const noexcept {
    return draining_ ? static_cast<std::uint64_t>(capacity_at_cut_) : 0;
  }
  /// What counts as a standing queue now (standing_queue.hpp).
  [[nodiscard]] duration queue_threshold() const noexcept { return queue_.threshold(); }
  /// Fraction of bytes lost, averaged over loss_time_constant.
  [[nodiscard]] double loss_rate() const noexcept;
  /// The headroom applied now: config headroom plus the loss rate, capped.
  [[nodiscard]] double headroom() const noexcept;

private:
  void decay_loss_counts(time_point now) noexcept;
  void cut_to(double rate, time_point now, duration srtt) noexcept;
  void rise_towards(double rate, time_point now) noexcept;
  void fast_cut(const target_rate_sample& s, double usable) noexcept;
  void restore_after_drain(const target_rate_sample& s) noexcept;
  [[nodiscard]] double drain_factor(duration queue) const noexcept;

  target_rate_config config_;
  double target_ = 0;
  /// Recent delivery-rate samples (windowed maximum, time in nanoseconds).
  max_filter<std::uint64_t> delivered_rate_;
  standing_queue queue_;
  busy_ack_rate busy_;
  /// A fast cut was made and ACKs have shown a queue above the threshold
  /// ever since.
  bool draining_ = false;
  /// The per-ACK queue (RTT sample less the min RTT) averaged while none is
  /// seen: jitter, which the fast cut looks past.
  duration sample_noise_{0};
  time_point last_update_{};
  bool have_update_ = false;
  time_point hold_until_{};
  /// The capacity the last cut measured (0: no cut yet).
  double capacity_at_cut_ = 0;
  /// What the last cut would have been without its drain factor (0: none
  /// owed): the target returns to it once the queue has drained.
  double restore_to_ = 0;
  /// Exponentially decayed acknowledged and lost byte counts.
  double acked_bytes_ = 0;
  double lost_bytes_ = 0;
  time_point loss_decayed_at_{};
};

} // namespace tern::cc
