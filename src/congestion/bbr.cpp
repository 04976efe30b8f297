// BBR congestion control: the model and the control parameters.
// (draft-cardwell-iccrg-bbr-congestion-control-00 for the model and the
// state machine; delivery-rate samples from delivery_rate_sampler.)
//
// Per ACK: count round trips on delivered bytes, feed the delivery-rate
// sample into a max filter over ten round trips (the bottleneck bandwidth),
// the sample's RTT into a min estimate that expires after ten seconds (the
// propagation RTT), run the state machine (bbr_startup.cpp, bbr_probe_bw.cpp,
// bbr_startup_jump.cpp, bbr_probe_rtt.cpp), then set pacing rate = pacing_gain × bandwidth (1%
// below, so an exact estimate keeps the queue empty) and cwnd = cwnd_gain ×
// BDP, but at least three send quanta (batching in the sender and in ACKs),
// plus the data ACKs released in batches beyond the bandwidth estimate
// (extra_acked, ack_aggregation.hpp).
// Gains and the quantization budget follow draft-cardwell-iccrg-bbr-
// congestion-control-02 (Startup 4·ln 2 pacing and 2 cwnd, Drain 1/2), on the
// ProbeBW cycle of -00.
//
// Loss responses, and their undo when a loss proves spurious, are in
// bbr_loss.cpp. ECN is not used.

#include "congestion/bbr.hpp"

#include <algorithm>
#include <cmath>

namespace tern::cc {

bbr::bbr(const controller_config& config, const bbr_config& tuning, random_source& rng) noexcept
    : config_{config}, tuning_{tuning}, rng_{rng}, pacing_gain_{tuning.startup_pacing_gain},
      cwnd_gain_{tuning.startup_cwnd_gain}, cwnd_{config.initial_window()},
      pacing_rate_{0}, max_bw_{tuning.bandwidth_window_rounds},
      ack_aggregation_{tuning.extra_acked_window_rounds}, min_rtt_{tuning.min_rtt_confirm_tolerance} {
  // Before any RTT sample the initial window is paced over a nominal 1 ms.
  const double nominal = static_cast<double>(cwnd_) / 1e-3;
  pacing_rate_ = static_cast<std::uint64_t>(tuning_.startup_pacing_gain * nominal);
  if (tuning_.startup != bbr_startup_mode::jump) jump_phase_ = jump_phase::done;
  enter_startup();
}

std::string_view bbr::state_name() const noexcept {
  switch (mode_) {
  case mode::startup:
    return "startup";
  case mode::drain:
    return "drain";
  case mode::probe_bw:
    return "probe_bw";
  case mode::probe_rtt:
    return "probe_rtt";
  }
  return "unknown";
}

std::uint64_t bbr::min_pipe_cwnd() const noexcept {
  return tuning_.min_pipe_cwnd_packets * config_.max_datagram_size;
}

std::uint64_t bbr::probe_rtt_cwnd() const noexcept {
  return std::max(bdp(tuning_.probe_rtt_cwnd_gain), min_pipe_cwnd());
}

std::uint64_t bbr::bdp(double gain) const noexcept {
  if (min_rtt_.empty() || max_bw_.empty()) return config_.initial_window();
  const double bytes = static_cast<double>(model_bandwidth()) * static_cast<double>(min_rtt().count()) * 1e-9;
  return static_cast<std::uint64_t>(gain * bytes);
}

std::uint64_t bbr::aggregation_headroom() const noexcept {
  if (tuning_.extra_acked_gain <= 0) return 0;
  const double cap = static_cast<double>(max_bw_.best()) * static_cast<double>(tuning_.extra_acked_max_time.count()) * 1e-9;
  const double headroom = tuning_.extra_acked_gain * static_cast<double>(ack_aggregation_.extra_acked());
  return static_cast<std::uint64_t>(std::min(headroom, cap));
}

std::uint64_t bbr::send_quantum() const noexcept {
  // About 1 ms of data at the pacing rate, at least two datagrams, at most
  // 64 KiB: what the sender may emit back to back.
  return std::clamp<std::uint64_t>(pacing_rate_ / 1000, 2 * config_.max_datagram_size, 64 * 1024);
}

std::uint64_t bbr::target_inflight(double gain) const noexcept {
  // The quantization budget: never less than three send quanta (batching in
  // the sender and in ACKs) or the window floor; two datagrams more while
  // probing up, so the probe can actually raise in flight.
  std::uint64_t inflight = std::max({bdp(gain), 3 * send_quantum(), min_pipe_cwnd()});
  if (mode_ == mode::probe_bw && cycle_index_ == 0) inflight += 2 * config_.max_datagram_size;
  return inflight;
}

void bbr::on_packet_sent(const packet_sent_event& e) {
  if (!e.in_flight) return;
  on_first_flight_sent(e);
  // Restarting from idle: the bandwidth estimate still holds, so resume at
  // the estimated rate instead of a probing or draining gain.
  if (e.prior_in_flight == 0 && e.app_limited) {
    idle_restart_ = true;
    if (mode_ == mode::probe_bw) set_pacing_rate(1.0);
    if (mode_ == mode::probe_rtt && probe_rtt_done_stamp_set_ && e.now >= probe_rtt_done_stamp_)
      exit_probe_rtt(e.now);
  }
}

void bbr::on_ack(const ack_event& e) {
  newly_delivered_ = e.delivered - std::min(e.delivered, delivered_);
  delivered_ = e.delivered;
  in_flight_ = e.bytes_in_flight;
  update_round(e);
  update_recovery(e);
  update_max_bandwidth(e);
  track_round_rates(e);
  ack_aggregation_.on_ack(e.now, newly_delivered_, max_bw_.best(), round_count_, cwnd_);
  check_inflight_too_high(e);
  if (inflight_hi_raise_at_ != 0 && delivered_ >= inflight_hi_raise_at_) {
    inflight_hi_raise_at_ = 0;
    raise_inflight_hi();
  }
  update_startup_jump(e);
  if (jump_phase_ != jump_phase::first_flight) first_flight_unpaced_ = false;
  if (round_start_) {
    check_startup_high_loss();
    update_loss_bound(e.now);
  }
  check_cycle_phase(e);
  check_full_pipe(e);
  check_drain(e);
  update_min_rtt(e);
  check_probe_rtt(e);
  set_cwnd(e);
  if (!pacing_rate_from_rtt_ && e.smoothed_rtt > duration::zero()) {
    // The initial rate assumed a 1 ms RTT; with a measured one, start over
    // from the initial window per SRTT, as if the RTT had been known from
    // the start (a handshake usually provides it).
    pacing_rate_from_rtt_ = true;
    // With the window following the model it has already grown on this ACK,
    // and pacing the initial window would spread the second flight over more
    // than a round trip; otherwise the initial window is the reference.
    const std::uint64_t window = tuning_.startup == bbr_startup_mode::window_follows_model
                                     ? cwnd_
                                     : config_.initial_window();
    const double nominal = static_cast<double>(window) * 1e9 / static_cast<double>(e.smoothed_rtt.count());
    pacing_rate_ = std::max<std::uint64_t>(static_cast<std::uint64_t>(pacing_gain_ * nominal), 1);
  }
  set_pacing_rate(pacing_gain_);
  if (round_start_) {
    round_lost_bytes_ = 0;
    round_loss_events_ = 0;
    round_delivered_start_ = e.delivered;
    round_start_time_ = e.now;
  }
}

void bbr::update_round(const ack_event& e) {
  round_start_ = false;
  if (e.sample.has_packet && e.sample.prior_delivered >= next_round_delivered_) {
    next_round_delivered_ = e.delivered;
    ++round_count_;
    round_start_ = true;
  }
}

void bbr::update_max_bandwidth(const ack_event& e) {
  const rate_sample& s = e.sample;
  if (!s.valid) return;
  // Packets sent while ProbeRTT held the window down measure that window,
  // not the path: they count as app-limited (sent while delivered was at
  // most the mark taken in ProbeRTT).
  const bool app_limited = s.is_app_limited || s.prior_delivered < probe_rtt_app_limited_until_;
  // An app-limited sample only says the path can do at least this much.
  if (s.delivery_rate >= max_bw_.best() || !app_limited) max_bw_.update(s.delivery_rate, round_count_);
}

void bbr::update_min_rtt(const ack_event& e) {
  // An estimate not confirmed for min_rtt_window restarts from the next
  // in-order sample, whatever it is; check_probe_rtt then drains the queue
  // so the samples that follow can be a true minimum. A packet that
  // overtook older ones (a reordering link sent it past its delay line)
  // shows a shortcut, not the path: the window is a multiple of bandwidth ×
  // min RTT, and a shortcut's RTT would hold it below the real pipe, the
  // delivery rate with it, and the bandwidth estimate would spiral down.
  // Such samples only serve until an in-order one comes. A shortcut taken
  // by a packet alone in flight overtakes nothing; the filter
  // asks a second sample to confirm a new minimum. Once there is an
  // estimate, the filter takes the 10th percentile of the in-order samples
  // of each round trip (of several when a round has fewer than eight;
  // round_rtt_quantile.hpp): on a jittery path single samples near zero
  // are real and frequent, and would confirm each other.
  min_rtt_expired_ = !min_rtt_.empty() && e.now > min_rtt_stamp_ + tuning_.min_rtt_window;
  duration rtt = e.sample.has_packet ? e.sample.rtt : e.latest_rtt;
  if (rtt <= duration::zero()) return;
  if (e.newest_acked_overtook && !min_rtt_.empty() && !min_rtt_from_overtaking_) return;
  const bool restart = min_rtt_.empty() || (min_rtt_from_overtaking_ && !e.newest_acked_overtook) ||
                       (min_rtt_expired_ && !e.newest_acked_overtook);
  bool confirmed = true;
  if (restart) {
    min_rtt_.restart(rtt);
    round_rtts_.clear();
  } else if (tuning_.min_rtt_round_samples > 0 && !e.newest_acked_overtook) {
    round_rtts_.add(rtt);
    if (!round_start_ || round_rtts_.size() < tuning_.min_rtt_round_samples) return;
    const duration low = round_rtts_.take(tuning_.min_rtt_round_quantile);
    confirmed = min_rtt_.update(low) || (e.sample.is_app_limited && shows_no_queue(low));
  } else {
    confirmed = min_rtt_.update(rtt);
  }
  if (confirmed) min_rtt_stamp_ = e.now;
  min_rtt_from_overtaking_ = e.newest_acked_overtook;
}

bool bbr::shows_no_queue(duration round_low_rtt) const noexcept {
  if (min_rtt_.empty() || min_rtt_.provisional()) return false;
  const double estimate = static_cast<double>(min_rtt_.estimate().count());
  return static_cast<double>(round_low_rtt.count()) <= (1.0 + tuning_.min_rtt_refresh_tolerance) * estimate;
}

void bbr::set_pacing_rate(double gain) {
  if (max_bw_.empty()) return;
  const double rate = gain * static_cast<double>(model_bandwidth()) * (1.0 - tuning_.pacing_margin);
  const auto r = std::max<std::uint64_t>(static_cast<std::uint64_t>(rate), 1);
  // Until the pipe is full the rate only rises: an early low sample must not
  // slow the search down.
  if (filled_pipe_ || r > pacing_rate_) pacing_rate_ = r;
}

void bbr::set_cwnd(const ack_event& e) {
  const std::uint64_t target = target_inflight(cwnd_gain_) + aggregation_headroom();
  if (in_recovery_ && conservation_) {
    cwnd_ = std::max(cwnd_, e.bytes_in_flight + e.bytes_acked);
  } else if (filled_pipe_) {
    cwnd_ = std::min(cwnd_ + e.bytes_acked, target);
  } else if (cwnd_ < target || e.delivered < config_.initial_window()) {
    cwnd_ += e.bytes_acked;
    // Growing by the acknowledged bytes alone doubles the window per round
    // trip whatever the pacing gain; following the model instead lets the
    // window keep up with a rate that grows by the pacing gain per round.
    if (tuning_.startup == bbr_startup_mode::window_follows_model && !min_rtt_.empty() && !max_bw_.empty()) cwnd_ = std::max(cwnd_, target);
  }
  // inflight_hi bounds the whole of ProbeBW (bbr_loss.cpp): the probe at
  // the cap, the other phases at the cap or one BDP, whichever is more (a
  // cap below one BDP, set by a loss that was not the buffer, must not
  // pull the delivery rate, and with it the estimate, down). Unbounded,
  // cruising with two BDPs of window overflowed the buffer whenever the
  // estimate ran ahead of the path: after a drop from 100 to 10 Mbit/s, on
  // a jittered link whose bursts show a rate it does not sustain, and with
  // four flows each counting the others' lulls in its estimate.
  if (mode_ == mode::probe_bw && inflight_hi_ != 0)
    cwnd_ = std::min(cwnd_, pacing_gain_ > 1.0 ? probe_up_inflight() : cruise_inflight());
  cwnd_ = std::max(cwnd_, min_pipe_cwnd());
  if (mode_ == mode::probe_rtt) cwnd_ = std::min(cwnd_, probe_rtt_cwnd());
}

} // namespace tern::cc
