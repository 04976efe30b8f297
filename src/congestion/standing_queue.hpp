#pragma once

// The standing queue: how long packets wait at the bottleneck beyond the
// bursts a sender's own frames make. A video I-frame sent as one burst
// queues behind itself for its serialization time, then the queue drains;
// a path slower than the sender queues everything and never drains. So the
// queue is measured as the minimum RTT sample over a short window, less
// the path's minimum RTT (the CoDel observation: a queue that persists
// through a whole window is standing, one that empties within it is a
// burst). The smoothed RTT would not do: it counts bursts, and lags a
// queue that has just drained by several round trips. Shared by the target
// rate (target_rate.hpp) and real-time mode's window cap (delay_bound.hpp).

#include "congestion/windowed_filter.hpp"

#include <tern/time.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace tern::cc {

struct standing_queue_config {
  /// The window is window_rtts × min RTT, within these bounds.
  double window_rtts = 1.5;
  duration window_min = std::chrono::milliseconds(100);
  duration window_max = std::chrono::milliseconds(300);
  /// A queue counts as standing (congestion) above threshold +
  /// threshold_rtt_fraction × min RTT (20 ms on a 100 ms path). The window's
  /// minimum already takes jitter out: its RTT is a sample's that was lucky.
  duration threshold = std::chrono::milliseconds(10);
  double threshold_rtt_fraction = 0.1;
  /// Jitter wider than a window's lucky sample shows as a queue that is
  /// always there. Its level while no queue is declared (averaged over
  /// noise_time_constant) is added to the threshold, twice, up to one
  /// threshold more.
  duration noise_time_constant = std::chrono::seconds(2);
};

class standing_queue {
public:
  explicit standing_queue(const standing_queue_config& config = {}) noexcept
      : config_{config}, rtt_{static_cast<std::uint64_t>(config.window_max.count())} {}

  /// One RTT sample (ack delay already taken off) at `now`, and the path's
  /// minimum RTT. Samples at or below zero are ignored.
  void on_rtt_sample(time_point now, duration rtt, duration min_rtt) noexcept {
    if (rtt <= duration::zero() || min_rtt <= duration::zero()) return;
    min_rtt_ = min_rtt;
    const auto window = std::clamp(std::chrono::duration_cast<duration>(min_rtt * config_.window_rtts),
                                   config_.window_min, config_.window_max);
    rtt_.set_window(static_cast<std::uint64_t>(window.count()));
    rtt_.update(rtt.count(), static_cast<std::uint64_t>(now.time_since_epoch().count()));
    if (!congested()) {
      const double dt = last_ == time_point{} ? 0.0 : std::chrono::duration<double>(now - last_).count();
      const double weight = std::min(1.0, dt / std::chrono::duration<double>(config_.noise_time_constant).count());
      noise_ += std::chrono::duration_cast<duration>((delay() - noise_) * weight);
    }
    last_ = now;
  }

  /// The lowest RTT of the window less the minimum RTT (zero before samples).
  [[nodiscard]] duration delay() const noexcept {
    if (rtt_.empty()) return duration::zero();
    const duration lowest{rtt_.best()};
    return lowest > min_rtt_ ? lowest - min_rtt_ : duration::zero();
  }
  /// The delay above which the queue counts as congestion.
  [[nodiscard]] duration threshold() const noexcept {
    const duration base =
        config_.threshold + std::chrono::duration_cast<duration>(min_rtt_ * config_.threshold_rtt_fraction);
    return base + std::min(2 * noise_, base);
  }
  /// The queue the path shows with none declared: jitter (see the config).
  [[nodiscard]] duration noise() const noexcept { return noise_; }
  [[nodiscard]] bool congested() const noexcept { return !rtt_.empty() && delay() > threshold(); }
  [[nodiscard]] bool has_sample() const noexcept { return !rtt_.empty(); }

private:
  standing_queue_config config_;
  min_filter<duration::rep> rtt_;
  duration min_rtt_{0};
  duration noise_{0};
  time_point last_{};
};

} // namespace tern::cc
