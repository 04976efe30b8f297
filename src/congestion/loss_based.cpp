// Shared machinery of the loss-based controllers (RFC 9002 §7, RFC 9438 §4.9).
//
// Recovery period: a congestion event records its start time; losses of
// packets sent before it, and ACKs of such packets, belong to the same event
// and neither reduce nor grow the window again. The period ends with the
// first ACK of a packet sent after it began.
//
// Undo: packet numbers are declared lost in increasing order, so the packets
// lost during one event are exactly those with numbers at or above the first
// one it declared lost. When each of them is later acknowledged (the losses
// were reordering, not congestion), the window and threshold from before the
// event come back. Events caused by ECN or persistent congestion are not
// undone.

#include "congestion/loss_based.hpp"

#include <algorithm>

namespace tern::cc {

loss_based_controller::loss_based_controller(const controller_config& config) noexcept
    : config_{config}, cwnd_{config.initial_window()},
      ssthresh_{std::numeric_limits<std::uint64_t>::max()} {}

std::uint64_t loss_based_controller::pacing_rate() const noexcept {
  if (smoothed_rtt_ <= duration::zero()) return unlimited_rate;
  const double gain = in_slow_start() ? 2.0 : 1.25;
  const double rate = gain * static_cast<double>(cwnd_) * 1e9 / static_cast<double>(smoothed_rtt_.count());
  return std::max<std::uint64_t>(static_cast<std::uint64_t>(rate), 1);
}

std::uint64_t loss_based_controller::bandwidth_estimate() const noexcept {
  if (smoothed_rtt_ <= duration::zero()) return 0;
  return static_cast<std::uint64_t>(static_cast<double>(cwnd_) * 1e9 / static_cast<double>(smoothed_rtt_.count()));
}

void loss_based_controller::on_packet_sent(const packet_sent_event& e) {
  if (!e.in_flight) return;
  if (sent_any_ && e.prior_in_flight == 0 && e.now > last_sent_) {
    const duration idle = e.now - last_sent_;
    const duration srtt = smoothed_rtt_ > duration::zero() ? smoothed_rtt_ : config_.initial_rtt;
    const duration rto = srtt + 4 * rttvar_;
    if (config_.slow_start_after_idle && idle > rto) cwnd_ = std::min(cwnd_, initial_window());
    on_idle_resume(idle);
  }
  sent_any_ = true;
  last_sent_ = e.now;
}

void loss_based_controller::on_ack(const ack_event& e) {
  if (e.smoothed_rtt > duration::zero()) {
    smoothed_rtt_ = e.smoothed_rtt;
    rttvar_ = e.rttvar;
  }
  if (in_recovery_) {
    if (e.largest_acked_sent_time <= recovery_start_) return;
    in_recovery_ = false;
  }
  if (e.bytes_acked == 0 || e.sample.is_app_limited) return;
  grow(e);
}

void loss_based_controller::begin_congestion_event(time_point now, bool undoable) {
  undo_armed_ = undoable;
  if (undoable) {
    undo_cwnd_ = cwnd_;
    undo_ssthresh_ = ssthresh_;
    undo_in_recovery_ = in_recovery_;
    undo_recovery_start_ = recovery_start_;
    save_undo_state();
  }
  in_recovery_ = true;
  recovery_start_ = now;
  reduce(now);
}

void loss_based_controller::on_loss(const loss_event& e) {
  if (e.packets_lost == 0) return;
  if (e.persistent_congestion) {
    // RFC 9002 Appendix B.8: the ordinary reduction (once per recovery
    // period), then the collapse, and the recovery period ends so the
    // window can slow-start back at once.
    if (!in_recovery_ || e.largest_lost_sent_time > recovery_start_) begin_congestion_event(e.now, false);
    undo_armed_ = false;
    collapse(e.now);
    in_recovery_ = false;
    return;
  }
  if (in_recovery_ && e.largest_lost_sent_time <= recovery_start_) {
    // More losses from the flight that began this event.
    if (undo_armed_) episode_lost_packets_ += e.packets_lost;
    return;
  }
  begin_congestion_event(e.now, true);
  episode_first_lost_ = e.smallest_lost_packet_number;
  episode_lost_packets_ = e.packets_lost;
}

void loss_based_controller::on_spurious_loss(const spurious_loss_event& e) {
  if (!undo_armed_ || e.packet_number < episode_first_lost_) return;
  if (--episode_lost_packets_ != 0) return;
  undo_armed_ = false;
  cwnd_ = std::max(cwnd_, undo_cwnd_);
  ssthresh_ = undo_ssthresh_;
  in_recovery_ = undo_in_recovery_;
  recovery_start_ = undo_recovery_start_;
  restore_undo_state();
}

void loss_based_controller::on_ecn(const ecn_event& e) {
  if (e.ce_increase == 0) return;
  if (in_recovery_ && e.largest_acked_sent_time <= recovery_start_) return;
  begin_congestion_event(e.now, false);
}

} // namespace tern::cc
