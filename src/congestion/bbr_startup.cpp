// BBR Startup and Drain.
//
// Startup paces at 4·ln 2 times the bandwidth estimate, which doubles the
// delivery rate every round trip, and lets the window grow by every
// acknowledged byte up to twice the estimated BDP. The pipe is full when
// three round trips in a row (not app-limited) raise the estimate by less
// than 25%; or, when the bottleneck queue is shallower than the overshoot,
// when a round trip loses more than 20% of its data in at least eight
// separate losses (the queue overflowed; random loss of a few percent does
// not end Startup). Drain then paces at half the estimate until the data in flight is
// back down to one BDP, and ProbeBW begins.

#include "congestion/bbr.hpp"

namespace tern::cc {

void bbr::enter_startup() {
  mode_ = mode::startup;
  pacing_gain_ = tuning_.startup_pacing_gain;
  cwnd_gain_ = tuning_.startup_cwnd_gain;
}

void bbr::check_full_pipe(const ack_event& e) {
  if (filled_pipe_ || !round_start_ || e.sample.is_app_limited) return;
  // A packet that overtook older ones (a reordering link sent it past the
  // delay line) ends its round a path delay early: at 3% reordering such
  // shortcuts ended three rounds within 40 ms, too soon for the doubling to
  // show, and Startup left at 16 Mbit/s of 100. Only a round that took the
  // path's time can find the pipe full.
  if (e.newest_acked_overtook) return;
  const std::uint64_t bw = max_bw_.best();
  if (static_cast<double>(bw) >= static_cast<double>(full_bw_) * tuning_.full_bandwidth_growth) {
    full_bw_ = bw;
    full_bw_count_ = 0;
    return;
  }
  if (++full_bw_count_ >= tuning_.full_bandwidth_rounds) filled_pipe_ = true;
}

void bbr::restart_full_pipe_search() {
  // The round trips of the handshake carried what the handshake had to
  // send, a packet or two, not what the window allowed, yet their samples
  // are not app-limited (the connection marks that only once it may send
  // data). On a jittery path one of them can show a short RTT and a rate
  // the next flights take rounds to beat: three such rounds without 25%
  // growth ended Startup at a few Mbit/s. The search for the bottleneck
  // starts with the first flight of data, from the estimate so far. (A
  // pipe already found full stays full: a client confirms a round trip
  // after its data began, and a jump start may have measured it by then.)
  if (mode_ != mode::startup || filled_pipe_) return;
  full_bw_ = 0;
  full_bw_count_ = 0;
}

void bbr::check_startup_high_loss() {
  if (mode_ != mode::startup || filled_pipe_) return;
  if (round_loss_events_ < tuning_.startup_loss_events) return;
  const std::uint64_t delivered = delivered_ - round_delivered_start_;
  const double total = static_cast<double>(delivered + round_lost_bytes_);
  if (total > 0 && static_cast<double>(round_lost_bytes_) > tuning_.startup_loss_threshold * total)
    filled_pipe_ = true;
}

void bbr::enter_drain() {
  mode_ = mode::drain;
  pacing_gain_ = tuning_.drain_pacing_gain;
  cwnd_gain_ = tuning_.startup_cwnd_gain;
}

void bbr::check_drain(const ack_event& e) {
  if (mode_ == mode::startup && filled_pipe_) enter_drain();
  if (mode_ == mode::drain && e.bytes_in_flight <= target_inflight(1.0)) enter_probe_bw(e.now);
}

} // namespace tern::cc
