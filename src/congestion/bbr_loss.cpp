// BBR's responses to loss, and their undo when a loss proves spurious.
//
// BBR's model does not change on a random loss. What loss does here: the
// window shrinks by the lost bytes and grows back with ACKs (the gains keep
// the rate from collapsing); a recovery period saves the window and restores
// it when it ends; Startup ends early on a round with heavy loss
// (bbr_startup.cpp); a ProbeBW up-phase ends on loss; persistent congestion
// drops to the four-packet floor until recovery ends. Optional packet
// conservation holds the window at in-flight + acknowledged for the first
// round trip of a recovery period.
//
// inflight_hi (after BBRv2/v3): a buffer shallower than what a ProbeBW
// probe puts in flight overflows, and BBR's model alone would probe into it
// every cycle (8 round trips) for a whole round trip: with netem's default
// 1000-packet limit at 100 Mbit/s and 200 ms, 4.8% of the packets sent were
// dropped at the queue. A sample whose flight lost 2% more than flights of
// at most a BDP do (random loss, an EWMA over samples) while more than a
// BDP was in flight marks the level where the buffer overflows; the
// probe ends, in flight is capped there for the whole of ProbeBW (the
// phases other than the probe at one BDP if that is more: random loss must
// not cut the cruising rate), and each later probe that reaches the cap
// raises it by 1/16 once its data is delivered without overflowing.
//
// Spurious loss (a packet declared lost is acknowledged after all: the path
// reordered it, RFC 8985's "undo"): the bytes go back into the window, out
// of the round's and the probe phase's loss counts, and a recovery period
// all of whose losses proved spurious ends at once with the saved window
// restored. On a reordering path nearly every "loss" is of this kind; left
// in place, each one would cut the window and end the probe it happened in.

#include "congestion/bbr.hpp"

#include <algorithm>

namespace tern::cc {

void bbr::on_loss(const loss_event& e) {
  if (e.bytes_lost == 0) return;
  round_lost_bytes_ += e.bytes_lost;
  phase_lost_bytes_ += e.bytes_lost;
  if (jump_phase_ == jump_phase::first_flight) first_flight_lost_ += e.bytes_lost;
  ++round_loss_events_;
  lost_in_phase_ = true;
  const std::uint64_t reduced = std::max(cwnd_ > e.bytes_lost ? cwnd_ - e.bytes_lost : 0, min_pipe_cwnd());
  loss_cwnd_reduction_ += cwnd_ - std::min(cwnd_, reduced);
  cwnd_ = reduced;
  if (e.persistent_congestion) {
    save_cwnd();
    if (!in_recovery_) recovery_lost_bytes_ = 0;
    recovery_lost_bytes_ += e.bytes_lost;
    in_recovery_ = true;
    recovery_start_ = e.now;
    conservation_ = false;
    cwnd_ = min_pipe_cwnd();
    return;
  }
  if (in_recovery_ && e.largest_lost_sent_time <= recovery_start_) {
    recovery_lost_bytes_ += e.bytes_lost;
    return;
  }
  save_cwnd();
  if (!in_recovery_) recovery_lost_bytes_ = 0;
  recovery_lost_bytes_ += e.bytes_lost;
  in_recovery_ = true;
  recovery_start_ = e.now;
  if (tuning_.packet_conservation && mode_ != mode::startup) {
    conservation_ = true;
    conservation_end_delivered_ = delivered_;
    cwnd_ = std::max(e.bytes_in_flight + config_.max_datagram_size, min_pipe_cwnd());
  }
}

void bbr::update_recovery(const ack_event& e) {
  if (conservation_ && e.sample.has_packet && e.sample.prior_delivered >= conservation_end_delivered_)
    conservation_ = false;
  if (in_recovery_ && e.bytes_acked > 0 && e.largest_acked_sent_time > recovery_start_) end_recovery();
}

void bbr::on_spurious_loss(const spurious_loss_event& e) {
  if (e.bytes == 0) return;
  const auto give_back = [&](std::uint64_t& count) { count -= std::min(count, e.bytes); };
  const std::uint64_t undo = std::min(loss_cwnd_reduction_, e.bytes);
  loss_cwnd_reduction_ -= undo;
  // Once the pipe is full the window never exceeds the model's target.
  cwnd_ = filled_pipe_ ? std::max(cwnd_, std::min(cwnd_ + undo, target_inflight(cwnd_gain_))) : cwnd_ + undo;
  give_back_pending_loss(e.bytes > round_lost_bytes_ ? e.bytes - round_lost_bytes_ : 0);
  give_back(round_lost_bytes_);
  give_back(phase_lost_bytes_);
  if (phase_lost_bytes_ == 0) lost_in_phase_ = false;
  if (in_recovery_) {
    give_back(recovery_lost_bytes_);
    if (recovery_lost_bytes_ == 0) end_recovery();
  }
}

void bbr::check_inflight_too_high(const ack_event& e) {
  const rate_sample& s = e.sample;
  if (tuning_.inflight_hi_loss_threshold <= 0 || !s.has_packet || s.is_app_limited || s.tx_in_flight == 0 ||
      max_bw_.empty() || min_rtt_.empty())
    return;
  const double loss_rate = static_cast<double>(s.lost) / static_cast<double>(s.tx_in_flight);
  const std::uint64_t bdp_inflight = target_inflight(1.0);
  if (s.tx_in_flight <= bdp_inflight) {
    // Loss at or below one BDP in flight is the path's own (random loss):
    // overflow is loss beyond it. Learnt in Startup too, so that ProbeBW's
    // first probe is judged against the path's loss rate, not against none
    // (at 10% random loss every first probe "overflowed").
    base_loss_rate_ = (7 * base_loss_rate_ + loss_rate) / 8;
    return;
  }
  if (mode_ != mode::probe_bw) return;
  if (loss_rate <= base_loss_rate_ + tuning_.inflight_hi_loss_threshold) return;
  // The flight that lost too much (as draft-ietf-ccwg-bbr sets it), never
  // below the model's BDP. Not that flight less its loss: the sample's loss
  // counts every loss declared while its packet was out, the packets sent
  // before it included, and after Startup's overshoot (768 packets with
  // `slot 5ms 25ms` on the return path) that left the cap at one BDP where
  // the path held twice that.
  //
  // But a flight sent in ProbeBW that lost far beyond that (more than
  // inflight_hi_heavy_loss over the random loss) went far beyond what the
  // buffer holds, and the flight itself would cap nothing: after a drop
  // from 100 to 10 Mbit/s, cruising with two BDPs of the old estimate
  // (1 MB) lost a quarter of it to a queue that holds 751 kB, and the cap
  // at 1 MB let it overflow again. What got through is the level then.
  // (Startup's overshoot is left to the rule above: its samples' loss is
  // the overshoot's, not their flight's.)
  const bool heavy = loss_rate > base_loss_rate_ + tuning_.inflight_hi_heavy_loss;
  const bool sent_in_probe_bw = s.prior_delivered >= probe_bw_sent_from_;
  const std::uint64_t level = heavy && sent_in_probe_bw ? s.tx_in_flight - std::min(s.tx_in_flight, s.lost)
                                                        : s.tx_in_flight;
  inflight_hi_ = std::max(bdp_inflight, level);
  inflight_too_high_in_phase_ = true;
  inflight_hi_raise_at_ = 0;
}

void bbr::raise_inflight_hi() noexcept {
  // By a fixed share per probe, and never dropped: growing by 1/16, 1/8,
  // 1/4, 1/2 and then dropping the cap sent every fifth probe into the
  // buffer at twice the level that overflowed (0.1 BDP of buffer: 1.02%
  // self-caused drops; 4 flows: Jain 0.91).
  if (inflight_hi_ == 0) return;
  inflight_hi_ += static_cast<std::uint64_t>(static_cast<double>(inflight_hi_) * tuning_.inflight_hi_growth);
}

void bbr::end_recovery() noexcept {
  in_recovery_ = false;
  conservation_ = false;
  loss_cwnd_reduction_ = 0;
  restore_cwnd();
}

void bbr::save_cwnd() noexcept {
  if (!in_recovery_ && mode_ != mode::probe_rtt)
    prior_cwnd_ = cwnd_;
  else
    prior_cwnd_ = std::max(prior_cwnd_, cwnd_);
}

void bbr::restore_cwnd() noexcept { cwnd_ = std::max(cwnd_, prior_cwnd_); }

} // namespace tern::cc
