// BBR ProbeBW: gain cycling.
//
// Eight phases of one min RTT each: 1.25 (probe: put 25% more in flight and
// see whether the delivery rate follows), 0.75 (drain whatever queue the
// probe built), then six at 1.0 (cruise at the estimate). The probe phase
// also lasts until in flight reaches 1.25 BDP, unless a loss shows the extra
// data does not fit; the drain phase ends early once in flight is back to one
// BDP. The cycle starts at a random phase other than the drain, so flows that
// share a bottleneck do not probe in step. With an inflight_hi cap
// (bbr_loss.cpp) the probe aims at the cap instead, and ends at once when
// its flight overflows the buffer; the other phases are held at the cap
// too (or one BDP, if more).

#include "congestion/bbr.hpp"

namespace tern::cc {

void bbr::enter_probe_bw(time_point now) {
  mode_ = mode::probe_bw;
  if (probe_bw_sent_from_ == UINT64_MAX) probe_bw_sent_from_ = delivered_;
  pacing_gain_ = 1.0;
  cwnd_gain_ = tuning_.cwnd_gain;
  const std::size_t phases = tuning_.probe_bw_gains.size();
  cycle_index_ = phases - 1 - static_cast<std::size_t>(rng_.uniform(phases - 1));
  advance_cycle_phase(now);
}

void bbr::advance_cycle_phase(time_point now) {
  const bool was_up = pacing_gain_ > 1.0;
  // A probe that ended without overflowing raises the cap once its data is
  // acknowledged without loss beyond the random loss (bbr_loss.cpp): its
  // phase lasts one min RTT, and behind a deep queue (600 ms after a drop
  // to 10 Mbit/s) its losses show up long after it ended.
  if (was_up && !inflight_too_high_in_phase_ && inflight_hi_ != 0) inflight_hi_raise_at_ = delivered_ + in_flight_;
  inflight_too_high_in_phase_ = false;
  cycle_stamp_ = now;
  cycle_index_ = (cycle_index_ + 1) % tuning_.probe_bw_gains.size();
  pacing_gain_ = tuning_.probe_bw_gains[cycle_index_];
  if (was_up != (pacing_gain_ > 1.0)) on_probe_phase(!was_up);
  lost_in_phase_ = false;
  phase_lost_bytes_ = 0;
}

std::uint64_t bbr::probe_up_inflight() const noexcept {
  const std::uint64_t target = target_inflight(pacing_gain_);
  if (inflight_hi_ == 0) return target;
  return std::min(target, std::max(inflight_hi_, target_inflight(1.0)));
}

std::uint64_t bbr::cruise_inflight() const noexcept {
  return inflight_hi_ == 0 ? target_inflight(cwnd_gain_) : std::max(inflight_hi_, target_inflight(1.0));
}

bool bbr::probe_reached(std::uint64_t in_flight) const noexcept {
  // The window is set to the target, and the sender sends a datagram only
  // when it fits (in flight + its size <= window): a probe held by the
  // window stops up to a datagram short of the target. Counted as short, a
  // probe capped by inflight_hi on a path that no longer overflows stayed at
  // gain 1.25 until a loss, and its cap never grew.
  return in_flight + config_.max_datagram_size > probe_up_inflight();
}

void bbr::check_cycle_phase(const ack_event& e) {
  if (mode_ != mode::probe_bw) return;
  const bool full_length = e.now - cycle_stamp_ > min_rtt();
  bool next = false;
  if (pacing_gain_ == 1.0)
    next = full_length;
  else if (pacing_gain_ > 1.0)
    next = inflight_too_high_in_phase_ || (full_length && (lost_in_phase_ || probe_reached(e.prior_in_flight)));
  else
    next = full_length || e.prior_in_flight <= target_inflight(1.0);
  if (next) advance_cycle_phase(e.now);
}

} // namespace tern::cc
