// BBR's bandwidth bound from excess loss while cruising (bw_lo).
//
// The bandwidth estimate is the highest delivery rate of the last ten round
// trips, and a link can deliver faster in a burst than it sustains. netem
// with a `limit` below its delay line is one: its 1000 packets at 100
// Mbit/s and 100 ms hold only 96 Mbit/s of arrivals, while a backlog leaves
// at the full 100. The estimate then says 100, BBR cruises at 99, and 3-4%
// of what it sends is dropped at the queue all the time, with in flight
// below one estimated BDP (so inflight_hi, which only judges flights above
// it, never sees it) and no queueing delay to show it. After a drop from
// 100 to 10 Mbit/s the estimate is stale for ten round trips and cruising
// overflows the queue the same way.
//
// draft-ietf-ccwg-bbr answers with lower bounds that any loss in a round
// trip sets to that round's delivery rate. With random loss every round
// loses something, and the delivery rate is then the sending rate less the
// loss: the bound would ratchet down a percent per round. Here a round trip
// counts only when its loss exceeds the path's own: round_loss_base, an
// EWMA of the loss rates of round trips (Startup's included, so it is known
// before the first cruise), plus the larger of 2% and three binomial
// deviations for the round's packets (at 3% loss and 40 ms a round is 400
// packets, and 2% alone would trip a round in ten). A round that exceeds it
// teaches the base only at 1/64 (a path whose random loss rose is learnt,
// slowly), others at 1/8.
//
// Judged: ProbeBW round trips away from our own probes (a probe's overflow
// is inflight_hi's business, and its losses are detected up to a round after
// it). The response: bw_lo = max(the round's highest delivery rate,
// 0.7 × bw_lo), the draft's rule; pacing and the window follow the lower of
// bw_lo and the estimate. A probe then probes from bw_lo, and lifts it when
// its delivery rate (up to a round after it ended) beats bw_lo by 10%: the
// path has more to give than when the bound was set.

#include "congestion/bbr.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace tern::cc {

std::uint64_t bbr::model_bandwidth() const noexcept {
  const std::uint64_t bw = max_bw_.best();
  return bw_lo_ != 0 ? std::min(bw, bw_lo_) : bw;
}

void bbr::track_round_rates(const ack_event& e) {
  if (mode_ == mode::probe_bw && pacing_gain_ > 1.0) last_probe_round_ = round_count_;
  const rate_sample& s = e.sample;
  if (s.has_packet && s.rtt > duration::zero() && !e.newest_acked_overtook) {
    round_rtt_sum_ += s.rtt;
    ++round_rtt_count_;
  }
  if (!s.valid || s.is_app_limited) return;
  probe_max_rate_ = std::max(probe_max_rate_, s.delivery_rate);
}

void bbr::on_probe_phase(bool up) noexcept {
  if (up) {
    probe_max_rate_ = 0;
    probe_verdict_round_ = 0;
  } else {
    // Losses and rates of the probe's last packets show up a round later.
    probe_verdict_round_ = round_count_ + 1;
  }
}

void bbr::update_loss_bound(time_point now) {
  if (probe_verdict_round_ != 0 && round_count_ > probe_verdict_round_) {
    probe_verdict_round_ = 0;
    if (bw_lo_ != 0 &&
        static_cast<double>(probe_max_rate_) >= tuning_.bw_lo_release_growth * static_cast<double>(bw_lo_))
      bw_lo_ = 0;
  }
  const loss_round ended{.round = round_count_,
                         .lost = round_lost_bytes_,
                         .delivered = delivered_ - round_delivered_start_,
                         .time = now - round_start_time_,
                         .queue_free = round_rtt_count_ != 0 && !min_rtt_.empty() &&
                                       static_cast<double>(round_rtt_sum_.count()) <=
                                           static_cast<double>(round_rtt_count_) *
                                               static_cast<double>(min_rtt().count()) *
                                               (1.0 + tuning_.cruise_queue_tolerance),
                         .near_probe = round_count_ <= last_probe_round_ + 2,
                         .probe_bw = mode_ == mode::probe_bw};
  round_rtt_sum_ = duration::zero();
  round_rtt_count_ = 0;
  // A round is judged a round trip late, once packets it declared lost had
  // time to prove spurious (reordering) and give their bytes back.
  const loss_round judged = std::exchange(pending_loss_round_, ended);
  if (tuning_.cruise_loss_threshold > 0 && judged.round != 0) judge_loss_round(judged);
}

void bbr::judge_loss_round(const loss_round& r) {
  const double bytes = static_cast<double>(r.delivered + r.lost);
  const double packets = bytes / static_cast<double>(config_.max_datagram_size);
  if (packets < static_cast<double>(tuning_.round_loss_min_packets)) return;
  const double loss_rate = static_cast<double>(r.lost) / bytes;
  const double deviation = std::sqrt(round_loss_base_ * (1.0 - round_loss_base_) / packets);
  const bool excess =
      loss_rate > round_loss_base_ + std::max(tuning_.cruise_loss_threshold, tuning_.cruise_loss_sigmas * deviation);
  round_loss_base_ += (excess ? tuning_.round_loss_outlier_gain : tuning_.round_loss_gain) * (loss_rate - round_loss_base_);
  // Overflow with a queue shows in the RTT too, and the window's other
  // bounds answer it; shared with other flows, a per-flow bound on the rate
  // leaves the flows that hit it behind (4 flows: Jain 0.89).
  if (!excess || !r.probe_bw || r.near_probe || !r.queue_free || max_bw_.empty() || mode_ != mode::probe_bw) return;
  if (bw_lo_ != 0) {
    // Packets sent at the bound are judged a round trip after it was set.
    if (r.round < bw_lo_round_ + 2) return;
    const bool same_loss = loss_rate >= tuning_.random_loss_persistence * bw_lo_loss_rate_ &&
                           loss_rate * tuning_.random_loss_persistence <= bw_lo_loss_rate_;
    if (same_loss) {
      // Sending slower lost neither less nor more: the loss is the path's
      // own. (More loss at the lower rate: the queue is still overflowing,
      // the bound goes lower.)
      round_loss_base_ = loss_rate;
      bw_lo_ = 0;
      inflight_hi_ = inflight_hi_before_bw_lo_;
      return;
    }
  } else {
    inflight_hi_before_bw_lo_ = inflight_hi_;
  }
  const double previous = static_cast<double>(bw_lo_ != 0 ? bw_lo_ : max_bw_.best());
  const auto floor = static_cast<std::uint64_t>(tuning_.bw_lo_beta * previous);
  // The round's average delivery rate (its highest sample can be a burst
  // the link does not sustain, which is what the bound is about). A full
  // queue delivers at its drain rate while it overflows: what got through,
  // less the share that overflowed, is what leaves it room.
  const double round_rate =
      r.time > duration::zero() ? static_cast<double>(r.delivered) * 1e9 / static_cast<double>(r.time.count()) : 0;
  const double overflow = std::min(loss_rate - round_loss_base_, 1.0);
  const auto through = static_cast<std::uint64_t>(round_rate * (1.0 - overflow));
  bw_lo_ = std::min(std::max(through, floor), max_bw_.best());
  bw_lo_round_ = r.round;
  bw_lo_loss_rate_ = loss_rate;
  // What got through in that round trip is what the path holds: later
  // probes stop there (inflight_hi, bbr_loss.cpp) instead of at 1.25 BDP.
  if (inflight_hi_ == 0 || r.delivered < inflight_hi_) {
    inflight_hi_ = r.delivered;
  }
}

void bbr::give_back_pending_loss(std::uint64_t bytes) noexcept {
  pending_loss_round_.lost -= std::min(pending_loss_round_.lost, bytes);
}

} // namespace tern::cc
