// BBR jump start (bbr_startup_mode::jump).
//
// Standard Startup needs about log2(BDP / initial window) round trips to
// find the bottleneck rate: 7.7 round trips (1.5 s) for 100 Mbit/s at
// 200 ms from ten 1200-byte packets, and the doubling cannot go faster
// without a deeper overshoot. But the initial window already measures the
// bottleneck: it leaves as a burst, the bottleneck spaces the packets at its
// own rate, and the ACKs come back with that spacing (packet-train
// dispersion; ack_train.hpp). So, one round trip in:
//
//  1. First flight. The ACKs of the packets sent before any ACK form a
//     train; once the initial window is acknowledged (or declared lost), the
//     train's rate E is the estimate. No jump, and standard Startup, when the
//     train has fewer than startup_jump_min_acks ACKs, or its gaps are
//     uneven (startup_jump_max_gap_ratio: ACKs batched by the return path,
//     whose rate over the span measures the batching, not the bottleneck).
//     ACKs whose newest packet overtook older ones (a reordering link sent
//     it past the bottleneck) are left out of the check train, and of the
//     first flight's before its first in-order ACK.
//  2. Jump. Pace at startup_jump_pacing_gain × E, window startup_cwnd_gain ×
//     E × min RTT. E is believed up to startup_jump_max_multiple × initial
//     window per min RTT: ACKs compressed by the return path can make the
//     train look arbitrarily fast, and the cap bounds what such an estimate
//     can make BBR send. A capped E, or an E no faster than the initial
//     window was sent (the sender, not the bottleneck, spaced it), is only a
//     floor.
//  3. Check. The ACKs of what was sent at the jump rate form a second train
//     (packets sent while the sender was app-limited, e.g. by a receive
//     window still growing, restart it: they measure the sender);
//     once it spans startup_jump_check_fraction of the min RTT its rate A is
//     what the path really delivers of it. A ≥ startup_jump_confirm_ratio ×
//     E: confirmed; the pipe is full at E (Drain, then ProbeBW, which probes
//     for more), unless E was only a floor, in which case Startup goes on
//     searching above it; A ≥ 1.25 E also makes E a floor (the check went
//     out faster than E and the path carried it). A below that: E was too high (a second flow
//     already on the link, ACK compression); A becomes the bandwidth
//     estimate and Drain empties the queue the jump built, about 1.25 round
//     trips of (E − A).
//
// A rate delivered over a fraction of a round trip is not a delivery-rate
// sample (those need a whole min RTT, delivery_rate_sampler.cpp), so the
// check seeds the bandwidth filter with it once; later samples take over
// within the filter's ten round trips. Losses, ProbeBW and ProbeRTT work as
// after standard Startup; a train that never completes (the flow went
// app-limited) leaves standard Startup running from the jump.

#include "congestion/bbr.hpp"

#include <algorithm>

namespace tern::cc {

void bbr::on_handshake_confirmed(time_point /*now*/) {
  restart_full_pipe_search();
  // The handshake's flights (an Initial, a few Handshake packets, spaced by
  // the handshake's own round trips) are too few and too small for an ACK
  // train, and the RTT they measured would pace the next flight over a
  // third of a round trip; the first flight of application data, sent as a
  // burst of up to the window, is the one that shows the bottleneck.
  if (tuning_.startup != bbr_startup_mode::jump || mode_ != mode::startup || filled_pipe_ ||
      jump_phase_ == jump_phase::checking)
    return;
  jump_phase_ = jump_phase::first_flight;
  first_flight_sent_ = first_flight_acked_ = first_flight_lost_ = 0;
  first_flight_train_ = ack_train{};
  first_flight_unpaced_ = true;
}

void bbr::on_first_flight_sent(const packet_sent_event& e) {
  if (jump_phase_ != jump_phase::first_flight || first_flight_train_.acks() > 0) return;
  // The flight is what leaves before the next ACK: every packet of it
  // carries the delivered count of its first one.
  if (first_flight_sent_ == 0) {
    first_flight_mark_ = delivered_;
    first_flight_first_send_ = e.now;
  } else if (delivered_ > first_flight_mark_) {
    return;
  }
  first_flight_last_send_ = e.now;
  first_flight_sent_ += e.bytes;
}

void bbr::update_startup_jump(const ack_event& e) {
  if (mode_ != mode::startup || filled_pipe_) jump_phase_ = jump_phase::done;
  if (jump_phase_ == jump_phase::first_flight) {
    const bool first_flight_ack =
        first_flight_sent_ > 0 && e.sample.has_packet && e.sample.prior_delivered == first_flight_mark_;
    if (first_flight_ack) first_flight_unpaced_ = false;
    if (first_flight_ack) {
      // The receiver's ack delay is not the bottleneck's spacing: a flight
      // of odd length ends in an ACK held back by the delayed-ack timer.
      // An ACK of a packet that overtook older ones before any of them was
      // acknowledged (a reordering link sent it past the bottleneck's
      // queue) was not spaced by the bottleneck. Once the train runs, an
      // overtaking ACK is one behind a lost packet, on time.
      if (!e.newest_acked_overtook || first_flight_train_.acks() > 0)
        first_flight_train_.on_ack(e.now - e.ack_delay, newly_delivered_);
      first_flight_acked_ += e.bytes_acked;
    }
    const bool complete = !first_flight_ack || first_flight_acked_ + first_flight_lost_ >= first_flight_sent_;
    if (complete && first_flight_train_.acks() > 0) try_jump(e);
  } else if (jump_phase_ == jump_phase::checking) {
    check_jump(e);
  }
}

void bbr::try_jump(const ack_event& e) {
  jump_phase_ = jump_phase::done;
  const auto rate = first_flight_train_.rate(tuning_.startup_jump_min_acks);
  if (!rate || min_rtt_.empty() || first_flight_train_.gap_ratio() > tuning_.startup_jump_max_gap_ratio) return;
  const double min_rtt_s = static_cast<double>(min_rtt().count()) * 1e-9;
  const double iw = static_cast<double>(config_.initial_window());
  const double cap = tuning_.startup_jump_max_multiple * iw / min_rtt_s;
  double estimate = static_cast<double>(*rate);
  jump_is_floor_ = estimate > cap;
  estimate = std::min(estimate, cap);
  // The initial window's own send rate: a train no faster than that
  // measured the sender's pacing, not the bottleneck.
  const duration send_span = first_flight_last_send_ - first_flight_first_send_;
  if (send_span > duration::zero() && first_flight_sent_ > config_.max_datagram_size) {
    const double sent_after_first = static_cast<double>(first_flight_sent_ - config_.max_datagram_size);
    const double send_rate = sent_after_first * 1e9 / static_cast<double>(send_span.count());
    if (estimate >= 0.9 * send_rate) jump_is_floor_ = true;
  }
  jump_rate_ = std::max<std::uint64_t>(static_cast<std::uint64_t>(estimate), 1);
  const double paced = tuning_.startup_jump_pacing_gain * estimate * (1.0 - tuning_.pacing_margin);
  pacing_rate_ = std::max(pacing_rate_, static_cast<std::uint64_t>(paced));
  cwnd_ = std::max(cwnd_, static_cast<std::uint64_t>(tuning_.startup_cwnd_gain * estimate * min_rtt_s));
  jump_mark_ = e.delivered;
  jump_round_ = round_count_;
  jump_phase_ = jump_phase::checking;
  // Until the check is done the jump rate is the rate: Startup's gain on
  // the delivery rates measured meanwhile would overshoot it (a check that
  // waits for a receive window to open can span several round trips).
  pacing_gain_ = tuning_.startup_jump_pacing_gain;
}

void bbr::check_jump(const ack_event& e) {
  if (!e.sample.has_packet) return;
  if (e.sample.prior_delivered >= jump_mark_ && e.sample.is_app_limited) {
    // Sent while the application (or flow control: a receive window that
    // is still auto-tuning up) had less to send than the jump rate allows:
    // the train would measure the sender, not the path. Check again on what
    // is sent from now on, for as long as the sender stays limited.
    jump_train_ = ack_train{};
    jump_mark_ = e.delivered;
    jump_round_ = round_count_;
    return;
  }
  if (e.sample.prior_delivered >= jump_mark_ && !e.newest_acked_overtook) jump_train_.on_ack(e.now, newly_delivered_);
  const auto check_span = std::chrono::duration_cast<duration>(min_rtt() * tuning_.startup_jump_check_fraction);
  if (jump_train_.span() >= check_span) {
    if (const auto measured = jump_train_.rate()) {
      finish_jump(*measured);
      return;
    }
  }
  // Two round trips after the jump without a usable train (ACKs too
  // sparse): standard Startup carries on from where the jump left it.
  if (round_count_ > jump_round_ + 2) end_jump_search();
}

void bbr::end_jump_search() {
  jump_phase_ = jump_phase::done;
  pacing_gain_ = tuning_.startup_pacing_gain;
}

void bbr::finish_jump(std::uint64_t measured) {
  const bool confirmed =
      static_cast<double>(measured) >= tuning_.startup_jump_confirm_ratio * static_cast<double>(jump_rate_);
  // A check delivered 25% faster than the jump rate went out faster than it
  // (Startup's pacing was already above E): E measured a train the return
  // path's jitter spread out, not the bottleneck, and is only a floor.
  if (static_cast<double>(measured) >= tuning_.full_bandwidth_growth * static_cast<double>(jump_rate_))
    jump_is_floor_ = true;
  // What was sent at the jump rate cannot be delivered faster than it; the
  // smaller of the two is what the path has shown it carries.
  max_bw_.update(confirmed ? jump_rate_ : std::min(measured, jump_rate_), round_count_);
  if (confirmed && jump_is_floor_) {
    end_jump_search(); // Startup searches on above the floor
    return;
  }
  jump_phase_ = jump_phase::done;
  filled_pipe_ = true;
}

} // namespace tern::cc
