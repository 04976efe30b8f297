// BBR ProbeRTT.
//
// When the min RTT estimate has not been refreshed for ten seconds, the
// standing queue may be hiding the propagation delay. ProbeRTT caps the
// window at four packets; once in flight has fallen that low it holds there
// for 200 ms and at least one round trip, so the next RTT samples see an
// empty queue. The window saved on entry comes back afterwards. Delivery
// rates measured on packets sent during ProbeRTT reflect its tiny window, so
// they are treated as app-limited and cannot pull the bandwidth estimate
// down. A flow
// restarting from idle skips ProbeRTT: its queue is already empty.

#include "congestion/bbr.hpp"

#include <algorithm>

namespace tern::cc {

void bbr::check_probe_rtt(const ack_event& e) {
  if (mode_ != mode::probe_rtt && min_rtt_expired_ && !idle_restart_) {
    save_cwnd();
    mode_ = mode::probe_rtt;
    pacing_gain_ = 1.0;
    cwnd_gain_ = 1.0;
    probe_rtt_done_stamp_set_ = false;
  }
  if (mode_ == mode::probe_rtt) handle_probe_rtt(e);
  idle_restart_ = false;
}

void bbr::handle_probe_rtt(const ack_event& e) {
  // Whatever is sent from now until the data now in flight is delivered is
  // limited by the ProbeRTT window, not by the path.
  probe_rtt_app_limited_until_ = std::max(probe_rtt_app_limited_until_, e.delivered + e.bytes_in_flight + 1);
  if (!probe_rtt_done_stamp_set_ && e.bytes_in_flight <= probe_rtt_cwnd()) {
    probe_rtt_done_stamp_ = e.now + tuning_.probe_rtt_duration;
    probe_rtt_done_stamp_set_ = true;
    probe_rtt_round_done_ = false;
    next_round_delivered_ = e.delivered;
    return;
  }
  if (!probe_rtt_done_stamp_set_) return;
  if (round_start_) probe_rtt_round_done_ = true;
  if (probe_rtt_round_done_ && e.now > probe_rtt_done_stamp_) exit_probe_rtt(e.now);
}

void bbr::exit_probe_rtt(time_point now) {
  min_rtt_stamp_ = now;
  probe_rtt_done_stamp_set_ = false;
  restore_cwnd();
  if (filled_pipe_) {
    enter_probe_bw(now);
  } else {
    enter_startup();
  }
}

} // namespace tern::cc
