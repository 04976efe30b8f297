// CUBIC congestion control, RFC 9438.
//
// Windows are kept in bytes; the cubic function is evaluated with W_max in
// datagrams as the RFC states it (C = 0.4 datagrams/s³) and converted back.
// A congestion-avoidance epoch starts with the first ACK after a reduction:
// K = ∛((W_max − cwnd_epoch) / C) (§4.2). Each ACK moves cwnd toward
// W_cubic(t + SRTT), clamped to [cwnd, 1.5·cwnd] (§4.3–4.5), unless the
// Reno-friendly estimate W_est, which grows by α = 3(1−β)/(1+β) datagrams per
// window (1 once it passes the pre-loss window, §4.3), is larger. A
// reduction multiplies cwnd by β = 0.7; with fast convergence W_max is
// lowered further when the window is still shrinking (§4.7). Sending after
// idle shifts the epoch by the idle time so the curve does not jump ahead.

#include "congestion/cubic.hpp"

#include <algorithm>
#include <cmath>

namespace tern::cc {

std::string_view cubic::state_name() const noexcept {
  if (in_recovery()) return "recovery";
  return in_slow_start() ? "slow_start" : "congestion_avoidance";
}

double cubic::w_cubic(double t) const noexcept {
  const double mss = static_cast<double>(config_.max_datagram_size);
  const double dt = t - state_.k;
  return (c * dt * dt * dt + state_.w_max / mss) * mss;
}

void cubic::grow(const ack_event& e) {
  const double mss = static_cast<double>(config_.max_datagram_size);
  const auto acked = static_cast<double>(e.bytes_acked);
  if (cwnd_ < ssthresh_) {
    cwnd_ += e.bytes_acked;
    return;
  }
  const auto cwnd = static_cast<double>(cwnd_);
  if (!state_.in_epoch) {
    state_.in_epoch = true;
    state_.epoch_start = e.now;
    state_.cwnd_epoch = cwnd;
    state_.w_est = cwnd;
    state_.credit = 0;
    if (state_.w_max < cwnd) {
      // No loss yet (or the window passed W_max): the curve starts at its
      // plateau here.
      state_.w_max = cwnd;
      state_.k = 0;
    } else {
      state_.k = std::cbrt((state_.w_max - cwnd) / mss / c);
    }
  }
  const double t = static_cast<double>((e.now - state_.epoch_start).count()) * 1e-9;
  const double rtt = static_cast<double>(std::max(e.smoothed_rtt, duration::zero()).count()) * 1e-9;

  // Reno-friendly estimate (§4.3).
  const double alpha = state_.w_est >= state_.cwnd_prior ? 1.0 : 3.0 * (1.0 - beta) / (1.0 + beta);
  state_.w_est += alpha * mss * acked / cwnd;

  double next = cwnd;
  if (w_cubic(t) < state_.w_est) {
    next = state_.w_est;
  } else {
    const double target = std::clamp(w_cubic(t + rtt), cwnd, 1.5 * cwnd);
    next = cwnd + (target - cwnd) * acked / cwnd;
  }
  state_.credit += next - cwnd;
  if (state_.credit >= 1.0) {
    const double whole = std::floor(state_.credit);
    cwnd_ += static_cast<std::uint64_t>(whole);
    state_.credit -= whole;
  }
}

void cubic::reduce(time_point) {
  const auto cwnd = static_cast<double>(cwnd_);
  state_.cwnd_prior = cwnd;
  // Fast convergence (§4.7): a window that shrank since the last loss
  // releases bandwidth to newer flows.
  state_.w_max = cwnd < state_.w_max ? cwnd * (1.0 + beta) / 2.0 : cwnd;
  ssthresh_ = std::max(static_cast<std::uint64_t>(cwnd * beta), minimum_window());
  cwnd_ = ssthresh_;
  state_.in_epoch = false;
}

void cubic::collapse(time_point) {
  cwnd_ = minimum_window();
  state_.in_epoch = false;
}

void cubic::on_idle_resume(duration idle) {
  if (state_.in_epoch) state_.epoch_start += idle;
}

} // namespace tern::cc
