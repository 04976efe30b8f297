#pragma once

// Real-time mode (config::real_time): a controller wrapped so that
// queueing delay counts as congestion. Whatever the wrapped controller
// allows, while a standing queue (standing_queue.hpp) exceeds its threshold
// the window is capped at the recent delivery rate times the minimum RTT
// plus half the threshold: what the path delivers, with a standing queue
// of at most half the threshold. Frames the window holds
// back wait in the sender, where their deadline can still drop them, rather
// than in the bottleneck's queue in front of every later frame.
//
// BBR alone keeps up to twice its bandwidth estimate's BDP in flight, and
// its estimate is a maximum over ten round trips: after the path's rate
// falls it queues up to a second or more until the estimate expires. The
// loss-based controllers fill the buffer until it overflows. Both are right
// for bulk data and wrong for a frame that must arrive in 200 ms.

#include "congestion/controller.hpp"
#include "congestion/standing_queue.hpp"
#include "congestion/windowed_filter.hpp"

#include <memory>

namespace tern::cc {

struct delay_bound_config {
  /// What counts as a standing queue (as target_rate_config::queue).
  standing_queue_config queue{};
  /// The cap is lifted once the queueing delay is under this fraction of
  /// the threshold (hysteresis: the cap does not flap every round trip).
  double release_fraction = 0.5;
  /// Delivery-rate samples kept over clamp(min RTT, these bounds).
  duration sample_window_min = std::chrono::milliseconds(50);
  duration sample_window_max = std::chrono::milliseconds(500);
};

class delay_bound final : public controller {
public:
  delay_bound(std::unique_ptr<controller> inner, const delay_bound_config& config,
              std::uint64_t max_datagram_size) noexcept;

  void on_packet_sent(const packet_sent_event& e) override { inner_->on_packet_sent(e); }
  void on_ack(const ack_event& e) override;
  void on_loss(const loss_event& e) override { inner_->on_loss(e); }
  void on_spurious_loss(const spurious_loss_event& e) override { inner_->on_spurious_loss(e); }
  void on_ecn(const ecn_event& e) override { inner_->on_ecn(e); }
  void on_app_limited(const app_limited_event& e) override { inner_->on_app_limited(e); }
  void on_handshake_confirmed(time_point now) override { inner_->on_handshake_confirmed(now); }

  [[nodiscard]] std::uint64_t congestion_window() const noexcept override;
  [[nodiscard]] std::uint64_t pacing_rate() const noexcept override { return inner_->pacing_rate(); }
  /// The wrapped controller's, but no more than the delivery rate while
  /// the queue is capped.
  [[nodiscard]] std::uint64_t bandwidth_estimate() const noexcept override;
  [[nodiscard]] std::string_view state_name() const noexcept override { return inner_->state_name(); }
  [[nodiscard]] algorithm kind() const noexcept override { return inner_->kind(); }
  [[nodiscard]] bool in_startup() const noexcept override { return inner_->in_startup(); }

  /// The window cap in force (0: none).
  [[nodiscard]] std::uint64_t cap() const noexcept { return cap_; }
  [[nodiscard]] const controller& inner() const noexcept { return *inner_; }

private:
  std::unique_ptr<controller> inner_;
  delay_bound_config config_;
  std::uint64_t min_window_;
  max_filter<std::uint64_t> delivered_rate_;
  standing_queue queue_;
  std::uint64_t cap_ = 0;
};

} // namespace tern::cc
