// The target rate an encoder aims at (target_rate.hpp).
//
// A rate below the path's capacity keeps the bottleneck queue empty; a rate
// above it grows the queue by the difference, and every frame waits behind
// it. So the estimator watches two things per ACK:
//
// - The standing queue (standing_queue.hpp: the lowest RTT of the last 1.5
//   min RTTs, less the min RTT; an I-frame's own burst drains within that
//   window and does not count). Above a threshold (20 ms + a quarter of the
//   min RTT by default: jitter alone stays under it) the bottleneck is
//   busy, and what the ACKs show delivered is its capacity. The target is cut at once to that capacity (the recent
//   delivery-rate maximum, or the controller's estimate if lower) less the
//   headroom, and further in proportion to the queue so it drains within
//   about half a second. A cut is never smoothed: every millisecond spent
//   above capacity adds to every later frame's latency.
// - The busy ACK clock (busy_ack_rate.hpp), for a large drop: the standing
//   queue sees it 1.5 min RTTs after the ACKs do, and an encoder at 6 Mbit/s
//   into 2 Mbit/s adds 20 ms of queue every 10 ms it waits (one I-frame of
//   91 kB alone is 364 ms). When an ACK shows a queue above the threshold and
//   the bottleneck, busy for 15 ms or more, delivers less than three
//   quarters of the target, the target is cut to what it delivers, and
//   further to drain what queued in the round trip before. ACKs timed by the
//   sender rather than the path show about what was sent, so the margin keeps
//   them from cutting.
// - Without a queue, the path carries what was sent, and maybe more. The
//   target may rise to 1.1 × the recent delivery rate (less the headroom;
//   1.25 × once the path delivers more than 1.1 × the capacity the last
//   cut measured, so a recovered path is found quickly while a known
//   capacity is approached gently), at most doubling per second and not within a round trip of
//   a cut. An application-limited sender never shows a controller more
//   than it sends, so the probe has to come from the encoder: sending a
//   quarter more than was delivered, and seeing no queue, is what lets the
//   target climb back after the path recovers. A quiet encoder (a static
//   scene) leaves the target where it was: a low delivery rate without a
//   queue says nothing about the path.
//
// The headroom is the configured share for retransmission and repair plus
// the loss rate over the last few seconds: lost bytes are sent twice.

#include "congestion/target_rate.hpp"

#include <algorithm>
#include <cmath>

namespace tern::cc {

namespace {

double seconds(duration d) noexcept { return std::chrono::duration<double>(d).count(); }

std::uint64_t nanos(time_point t) noexcept {
  return static_cast<std::uint64_t>(t.time_since_epoch().count());
}

} // namespace

target_rate_estimator::target_rate_estimator(const target_rate_config& config) noexcept
    : config_{config}, delivered_rate_{static_cast<std::uint64_t>(config.sample_window_max.count())},
      queue_{config.queue}, busy_{config.busy} {}

double target_rate_estimator::loss_rate() const noexcept {
  const double total = acked_bytes_ + lost_bytes_;
  return total > 0 ? lost_bytes_ / total : 0.0;
}

double target_rate_estimator::headroom() const noexcept {
  return std::clamp(config_.headroom + loss_rate(), 0.0, config_.max_headroom);
}

void target_rate_estimator::decay_loss_counts(time_point now) noexcept {
  if (now > loss_decayed_at_ && config_.loss_time_constant > duration::zero()) {
    const double keep = std::exp(-seconds(now - loss_decayed_at_) / seconds(config_.loss_time_constant));
    acked_bytes_ *= keep;
    lost_bytes_ *= keep;
  }
  loss_decayed_at_ = std::max(loss_decayed_at_, now);
}

void target_rate_estimator::on_loss(time_point now, std::uint64_t bytes_lost, bool persistent) {
  decay_loss_counts(now);
  lost_bytes_ += static_cast<double>(bytes_lost);
  if (persistent && target_ > 0) cut_to(target_ / 2, now, duration::zero());
}

void target_rate_estimator::cut_to(double rate, time_point now, duration srtt) noexcept {
  if (target_ > 0 && rate >= target_) return;
  target_ = std::max(rate, 1.0);
  const auto hold = std::chrono::duration_cast<duration>(srtt * config_.hold_after_cut_rtts);
  hold_until_ = std::max(hold_until_, now + hold);
}

void target_rate_estimator::rise_towards(double rate, time_point now) noexcept {
  if (rate <= target_ || now < hold_until_) return;
  const double dt = have_update_ ? std::max(0.0, seconds(now - last_update_)) : 0.0;
  target_ = std::min(rate, target_ * std::pow(config_.max_increase_per_second, dt));
}

double target_rate_estimator::drain_factor(duration queue) const noexcept {
  const double excess = seconds(queue - queue_.threshold());
  return std::max(config_.min_drain_factor, 1.0 - excess / seconds(config_.drain_horizon));
}

void target_rate_estimator::fast_cut(const target_rate_sample& s, double usable) noexcept {
  if (s.latest_rtt <= duration::zero() || s.min_rtt <= duration::zero() || s.delivered == 0) return;
  const duration queued = s.latest_rtt > s.min_rtt ? s.latest_rtt - s.min_rtt : duration::zero();
  // Jitter: every ACK's RTT spread above the minimum, averaged while no
  // queue is seen. Above it only is an ACK's queue evidence of one: with
  // 10 ms of jitter each way nearly every ACK reads as "busy" and the ACK
  // clock's timing is off by tens of milliseconds, which once read as a
  // slower path and held the target at a quarter for good.
  if (!draining_ && !queue_.congested()) {
    const double dt = have_update_ ? std::max(0.0, seconds(s.now - last_update_)) : 0.0;
    const double weight = std::min(1.0, dt / seconds(config_.queue.noise_time_constant));
    sample_noise_ += std::chrono::duration_cast<duration>((queued - sample_noise_) * weight);
  }
  const duration above_noise = queued > sample_noise_ ? queued - sample_noise_ : duration::zero();
  busy_.on_ack(s.now, above_noise, s.delivered);
  if (!queue_.has_sample()) return;
  if (queued <= queue_.threshold() + 2 * sample_noise_) {
    draining_ = false;
    return;
  }
  const auto path = static_cast<double>(busy_.rate());
  if (path == 0) return;
  // Once cut, every busy ACK until the queue is gone may cut further: the
  // queue keeps growing for a round trip after the cut (what was sent
  // before it), and the drain factor follows it.
  if (!draining_ && path * usable >= config_.fast_cut_below * target_) return;
  cut_to(path * usable * drain_factor(queued), s.now, s.smoothed_rtt);
  capacity_at_cut_ = path;
  restore_to_ = path * usable;
  draining_ = true;
}

void target_rate_estimator::restore_after_drain(const target_rate_sample& s) noexcept {
  // The fast cut's drain factor took the target below the path's rate only
  // to empty the queue; once it is empty, the rate the busy ACK clock
  // measured (less the headroom) is safe again. Climbing back from a
  // quarter at 1.1 per feedback cycle and at most doubling per second took
  // 3.5 s on the 2 Mbit/s step. Standing-queue cuts owe no return: their
  // capacity is the delivery-rate maximum, which after a drop still holds
  // the old rate for a window.
  const duration queued = s.latest_rtt > s.min_rtt ? s.latest_rtt - s.min_rtt : duration::zero();
  if (restore_to_ <= target_ || draining_ || s.latest_rtt <= duration::zero() || queued > queue_.threshold() ||
      s.now < hold_until_) {
    if (restore_to_ <= target_) restore_to_ = 0;
    return;
  }
  target_ = restore_to_;
  restore_to_ = 0;
}

void target_rate_estimator::on_ack(const target_rate_sample& s) {
  decay_loss_counts(s.now);
  acked_bytes_ += static_cast<double>(s.bytes_acked);

  const duration window = std::clamp(s.min_rtt, config_.sample_window_min, config_.sample_window_max);
  delivered_rate_.set_window(static_cast<std::uint64_t>(window.count()));
  if (s.delivery.valid && s.delivery.delivery_rate > 0) delivered_rate_.update(s.delivery.delivery_rate, nanos(s.now));

  const double delivered = static_cast<double>(delivered_rate_.best());
  const double estimate = static_cast<double>(s.bandwidth_estimate);
  const double usable = 1.0 - headroom();

  if (target_ == 0) {
    // The first figure: what the path has shown, before any smoothing.
    const double first = delivered > 0 && estimate > 0 ? std::min(estimate, delivered * config_.probe_gain)
                                                        : std::max(estimate, delivered);
    target_ = first * usable;
  }

  if (s.capped_rate > 0 && static_cast<double>(s.capped_rate) * usable < target_) {
    cut_to(static_cast<double>(s.capped_rate) * usable, s.now, s.smoothed_rtt);
    capacity_at_cut_ = static_cast<double>(s.capped_rate);
  }

  queue_.on_rtt_sample(s.now, s.latest_rtt, s.min_rtt);
  fast_cut(s, usable);
  if (queue_.has_sample()) {
    if (queue_.congested()) {
      double capacity = delivered > 0 ? delivered : estimate;
      if (estimate > 0) capacity = std::min(capacity, estimate);
      if (capacity > 0) {
        cut_to(capacity * usable * drain_factor(queue_.delay()), s.now, s.smoothed_rtt);
        capacity_at_cut_ = capacity;
      }
    } else if (delivered > 0) {
      restore_after_drain(s);
      const bool far = capacity_at_cut_ == 0 || delivered > config_.far_above * capacity_at_cut_;
      rise_towards(delivered * (far ? config_.fast_probe_gain : config_.probe_gain) * usable, s.now);
    }
  }
  last_update_ = s.now;
  have_update_ = true;
}

} // namespace tern::cc
