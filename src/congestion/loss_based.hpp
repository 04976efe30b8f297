#pragma once

#include "congestion/controller.hpp"

#include <limits>

namespace tern::cc {

/// What NewReno and CUBIC share: the recovery period (RFC 9002 §7.3.2: one
/// window reduction per round trip of losses), undo of a reduction whose
/// losses all proved spurious, no growth while application-limited (§7.8),
/// optional slow-start restart after idle, ECN-CE as a congestion signal, and
/// a pacing rate derived from the window (§7.7). The algorithms supply how
/// the window grows, shrinks and collapses.
class loss_based_controller : public controller {
public:
  void on_packet_sent(const packet_sent_event& e) override;
  void on_ack(const ack_event& e) override;
  void on_loss(const loss_event& e) override;
  void on_spurious_loss(const spurious_loss_event& e) override;
  void on_ecn(const ecn_event& e) override;

  [[nodiscard]] std::uint64_t congestion_window() const noexcept override { return cwnd_; }
  /// 2·cwnd/SRTT in slow start, 1.25·cwnd/SRTT after; unlimited before the
  /// first RTT sample.
  [[nodiscard]] std::uint64_t pacing_rate() const noexcept override;
  /// cwnd/SRTT: what the window delivers per round trip; 0 before the first
  /// RTT sample.
  [[nodiscard]] std::uint64_t bandwidth_estimate() const noexcept override;

  [[nodiscard]] std::uint64_t slow_start_threshold() const noexcept { return ssthresh_; }
  [[nodiscard]] bool in_recovery() const noexcept { return in_recovery_; }
  [[nodiscard]] bool in_slow_start() const noexcept { return cwnd_ < ssthresh_; }
  /// Slow start before any congestion event (ssthresh still unset).
  [[nodiscard]] bool in_startup() const noexcept override {
    return ssthresh_ == std::numeric_limits<std::uint64_t>::max();
  }

protected:
  explicit loss_based_controller(const controller_config& config) noexcept;

  /// Window growth for an ACK outside recovery and not app-limited.
  virtual void grow(const ack_event& e) = 0;
  /// A congestion event at `now`: reduce cwnd_ and ssthresh_.
  virtual void reduce(time_point now) = 0;
  /// Persistent congestion (after the ordinary reduction): collapse cwnd_ to
  /// the minimum window.
  virtual void collapse(time_point now) = 0;
  /// Sending resumes after `idle` with nothing in flight.
  virtual void on_idle_resume(duration /*idle*/) {}
  /// Save and restore algorithm state around a congestion event that may
  /// be undone. cwnd_ and ssthresh_ are handled by the base.
  virtual void save_undo_state() {}
  virtual void restore_undo_state() {}

  [[nodiscard]] std::uint64_t minimum_window() const noexcept {
    return config_.minimum_window_packets * config_.max_datagram_size;
  }
  [[nodiscard]] std::uint64_t initial_window() const noexcept {
    return config_.initial_window();
  }

  controller_config config_;
  std::uint64_t cwnd_;
  std::uint64_t ssthresh_;
  duration smoothed_rtt_{0};
  duration rttvar_{0};

private:
  void begin_congestion_event(time_point now, bool undoable);

  bool in_recovery_ = false;
  time_point recovery_start_{};
  time_point last_sent_{};
  bool sent_any_ = false;

  // Undo bookkeeping for the latest congestion event.
  bool undo_armed_ = false;
  std::uint64_t episode_first_lost_ = 0;
  std::uint64_t episode_lost_packets_ = 0;
  std::uint64_t undo_cwnd_ = 0;
  std::uint64_t undo_ssthresh_ = 0;
  bool undo_in_recovery_ = false;
  time_point undo_recovery_start_{};
};

} // namespace tern::cc
