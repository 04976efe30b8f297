#pragma once

#include "congestion/loss_based.hpp"

namespace tern::cc {

/// CUBIC (RFC 9438): after a reduction the window follows
/// W(t) = C·(t − K)³ + W_max, concave up to the window where the last loss
/// happened and convex beyond it, never slower than the Reno-friendly
/// estimate. Slow start is standard (no HyStart++). Fast convergence is on.
class cubic final : public loss_based_controller {
public:
  /// RFC 9438 §5.1 and §4.6.
  static constexpr double c = 0.4;
  static constexpr double beta = 0.7;

  explicit cubic(const controller_config& config) noexcept : loss_based_controller{config} {}

  [[nodiscard]] std::string_view state_name() const noexcept override;
  [[nodiscard]] algorithm kind() const noexcept override { return algorithm::cubic; }

  /// W_max, bytes: the window before the last reduction (0 before any).
  [[nodiscard]] double w_max() const noexcept { return state_.w_max; }
  /// K, seconds: time from the epoch start until W(t) reaches W_max.
  [[nodiscard]] double k() const noexcept { return state_.k; }

private:
  void grow(const ack_event& e) override;
  void reduce(time_point now) override;
  void collapse(time_point now) override;
  void on_idle_resume(duration idle) override;
  void save_undo_state() override { saved_ = state_; }
  void restore_undo_state() override { state_ = saved_; }

  /// W_cubic(t) in bytes, t in seconds since the epoch start.
  [[nodiscard]] double w_cubic(double t) const noexcept;

  struct state {
    double w_max = 0;      // bytes
    double k = 0;          // seconds
    double cwnd_epoch = 0; // bytes, cwnd when the epoch started
    double cwnd_prior = 0; // bytes, cwnd before the last reduction
    double w_est = 0;      // bytes, Reno-friendly estimate
    double credit = 0;     // fractional bytes of growth not yet applied
    time_point epoch_start{};
    bool in_epoch = false;
  };
  state state_{};
  state saved_{};
};

} // namespace tern::cc
