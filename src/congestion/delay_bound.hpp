#pragma once

// Real-time mode (config::real_time): a controller wrapped so that
// queueing delay counts as congestion. Whatever the wrapped controller
// allows, once the path shows a queue above its threshold the window is
// capped at the path's rate times the minimum RTT plus half the threshold:
// what the path delivers, with a standing queue of about half the
// threshold. Frames the window holds back wait in the sender, where their
// deadline can still drop them and audio goes first, rather than in the
// bottleneck's queue in front of every later frame and audio packet.
//
// The cap engages on either of two signs:
// - fast: an ACK shows a queue above the threshold while the ACK clock of
//   the busy bottleneck (busy_ack_rate.hpp) says the path carries less than
//   is in flight for one round trip plus half the threshold. That is a
//   round trip after a rate drop rather than the standing-queue filter's
//   1.5 min RTTs later: after a fall from 8 to 2 Mbit/s, a queue of about
//   170 ms (one round trip of sending too fast) instead of 500 ms and more.
// - standing: the standing queue (standing_queue.hpp) exceeds its
//   threshold; the cap is then the recent delivery rate's (the fallback
//   when ACKs are too sparse for the busy clock).
// While capped, every busy ACK resets the cap to the busy rate times (min
// RTT + half the threshold), following the path both ways: a bulk stream
// filling the window keeps a queue of about half the threshold, not the
// wrapped controller's (BBR's up to a BDP), and a faster path shows as
// soon as a burst makes the bottleneck busy; the pacing rate is held to the
// path's rate. When ACKs show the bottleneck
// idle the cap grows by cap_growth per min RTT (the path may have become
// faster and the queue emptied), and is lifted once it no longer binds
// (above the wrapped controller's window).
//
// BBR alone keeps up to twice its bandwidth estimate's BDP in flight, and
// its estimate is a maximum over ten round trips: after the path's rate
// falls it queues up to a second or more until the estimate expires. The
// loss-based controllers fill the buffer until it overflows. Both are right
// for bulk data and wrong for a frame that must arrive in 200 ms.

#include "congestion/busy_ack_rate.hpp"
#include "congestion/controller.hpp"
#include "congestion/standing_queue.hpp"
#include "congestion/windowed_filter.hpp"

#include <memory>

namespace tern::cc {

struct delay_bound_config {
  /// What counts as a standing queue (as target_rate_config::queue).
  standing_queue_config queue{};
  /// The queue the cap leaves room for, as a fraction of the threshold.
  double queue_fraction = 0.5;
  /// The bottleneck's rate from busy ACKs (the fast cut, and the cap's
  /// level while capped).
  busy_ack_rate_config busy{};
  /// Growth of the cap per min RTT while ACKs show the bottleneck idle.
  double cap_growth = 1.25;
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
  /// The wrapped controller's, but while capped no more than the path's
  /// rate (capped_rate): the cap bounds what is in flight, this keeps a
  /// probing controller (BBR's 1.25 pacing gain) from queueing what it
  /// sends within it.
  [[nodiscard]] std::uint64_t pacing_rate() const noexcept override;
  /// The wrapped controller's, but no more than the delivery rate while
  /// the queue is capped.
  [[nodiscard]] std::uint64_t bandwidth_estimate() const noexcept override;
  [[nodiscard]] std::string_view state_name() const noexcept override { return inner_->state_name(); }
  [[nodiscard]] algorithm kind() const noexcept override { return inner_->kind(); }
  [[nodiscard]] bool in_startup() const noexcept override { return inner_->in_startup(); }

  /// The window cap in force (0: none).
  [[nodiscard]] std::uint64_t cap() const noexcept { return cap_; }
  /// The path's rate behind the cap (0: no cap).
  [[nodiscard]] std::uint64_t capped_rate() const noexcept { return cap_ == 0 ? 0 : rate_; }
  [[nodiscard]] const controller& inner() const noexcept { return *inner_; }

private:
  /// The cap for a path delivering `rate` bytes per second: its BDP plus
  /// the queue the cap leaves room for.
  [[nodiscard]] std::uint64_t bound(std::uint64_t rate, duration min_rtt, duration threshold) const noexcept;

  std::unique_ptr<controller> inner_;
  delay_bound_config config_;
  std::uint64_t min_window_;
  max_filter<std::uint64_t> delivered_rate_;
  standing_queue queue_;
  busy_ack_rate busy_;
  std::uint64_t cap_ = 0;
  /// The rate the cap was last set from.
  std::uint64_t rate_ = 0;
  time_point last_ack_{};
};

} // namespace tern::cc
