// The sender: recovery and congestion control wired together.
//
// Order of events for one ACK: the loss detector classifies packets (newly
// acknowledged, spurious, newly lost) and updates the RTT; the delivery-rate
// sampler consumes the acknowledged packets' snapshots and the lost bytes and
// yields one rate sample; the controller hears the losses first (so it knows
// it is in recovery), then the ACK with the sample, then each spurious loss,
// then any new CE marks; finally the pacer takes the new rate.
//
// A send is refused, in this order of precedence, by the packet window (the
// 2^15 limit), the congestion window and the pacer. Probes owed after a PTO
// skip the last two. Each refusal reason is counted with the time it held
// the sender back, so stats say when the 2^15 limit rather than the window
// was the bottleneck.

#include "recovery/sender.hpp"

#include <algorithm>

namespace tern::recovery {

std::string_view to_string(send_limit l) noexcept {
  switch (l) {
  case send_limit::none:
    return "none";
  case send_limit::congestion_window:
    return "congestion_window";
  case send_limit::packet_window:
    return "packet_window";
  case send_limit::pacing:
    return "pacing";
  case send_limit::application:
    return "application";
  }
  return "unknown";
}

sender::sender(const sender_config& config, random_source& rng)
    : config_{config}, detector_{config.loss, config.rtt},
      controller_{[&]() -> std::unique_ptr<cc::controller> {
        auto c = cc::make_controller(config.algorithm, config.controller, rng);
        if (!config.real_time) return c;
        return std::make_unique<cc::delay_bound>(std::move(c), config.delay_bound, config.controller.max_datagram_size);
      }()},
      pacer_{[&] {
        cc::pacer_config p = config.pacer;
        p.max_datagram_size = config.controller.max_datagram_size;
        return p;
      }()},
      target_rate_{config.target_rate}, drain_guard_{config.drain_guard} {
  update_pacer(time_point{});
}

void sender::update_pacer(time_point now) noexcept {
  pacer_.set_rate(config_.pacing ? controller_->pacing_rate() : cc::unlimited_rate, now);
}

void sender::note_limit(send_limit limit, time_point now) noexcept {
  if (limit == current_limit_) return;
  const auto old = static_cast<std::size_t>(current_limit_);
  if (current_limit_ != send_limit::none && now > limited_since_)
    stats_.limited_time[old] += now - limited_since_;
  current_limit_ = limit;
  limited_since_ = now;
  if (limit != send_limit::none) ++stats_.limited_events[static_cast<std::size_t>(limit)];
}

send_permission sender::can_send(std::uint64_t bytes, time_point now) {
  send_permission result{};
  const bool probing = probes_owed_ > 0;
  const bool cwnd_ok = detector_.bytes_in_flight() + bytes <= controller_->congestion_window();
  if (!detector_.packet_window_open(next_packet_number_)) {
    // Counted against the packet window only when the congestion window
    // would have let the packet go.
    result.limit = (cwnd_ok || probing) ? send_limit::packet_window : send_limit::congestion_window;
    stats_.packet_window_limited = result.limit == send_limit::packet_window;
  } else if (!probing && !cwnd_ok) {
    result.limit = send_limit::congestion_window;
    stats_.packet_window_limited = false;
  } else if (!probing) {
    const time_point release = pacer_.release_time(bytes, now);
    if (release > now) {
      result.limit = send_limit::pacing;
      result.release = release;
    }
  }
  if (result.limit != send_limit::none) note_limit(result.limit, now);
  return result;
}

std::uint64_t sender::on_packet_sent(const outgoing_packet& packet, time_point now) {
  note_limit(send_limit::none, now);
  const std::uint64_t pn = next_packet_number_++;
  sent_packet p{};
  p.packet_number = pn;
  p.time_sent = now;
  p.bytes = static_cast<std::uint32_t>(std::min<std::uint64_t>(packet.bytes, UINT32_MAX));
  p.ack_eliciting = packet.ack_eliciting;
  p.in_flight = packet.in_flight;
  p.cookie = packet.cookie;
  p.carried_ack_largest = packet.carried_ack_largest;
  const std::uint64_t prior_in_flight = detector_.bytes_in_flight();
  const bool app_limited = sampler_.app_limited();
  if (packet.in_flight) p.delivery = sampler_.on_packet_sent(now, prior_in_flight, p.bytes);
  detector_.on_packet_sent(p);

  ++stats_.packets_sent;
  stats_.bytes_sent += packet.bytes;
  if (packet.ack_eliciting && probes_owed_ > 0) --probes_owed_;
  if (packet.in_flight) {
    controller_->on_packet_sent(cc::packet_sent_event{.now = now,
                                                      .packet_number = pn,
                                                      .bytes = p.bytes,
                                                      .prior_in_flight = prior_in_flight,
                                                      .in_flight = true,
                                                      .app_limited = app_limited});
    pacer_.on_packet_sent(p.bytes, now);
  }
  return pn;
}

std::uint64_t sender::discard(std::uint64_t pn) noexcept {
  const std::uint64_t released = detector_.discard(pn);
  if (released > 0) {
    ++stats_.packets_discarded;
    stats_.bytes_discarded += released;
  }
  return released;
}

void sender::report_losses(std::span<const sent_packet> lost, std::uint64_t bytes_lost,
                           std::uint64_t prior_in_flight, bool persistent, time_point now) {
  if (lost.empty()) return;
  for (const auto& p : lost)
    if (p.in_flight) sampler_.on_packet_lost(p.bytes);
  stats_.packets_lost += lost.size();
  stats_.bytes_lost += bytes_lost;
  if (persistent) ++stats_.persistent_congestion;
  controller_->on_loss(cc::loss_event{.now = now,
                                      .bytes_lost = bytes_lost,
                                      .packets_lost = lost.size(),
                                      .smallest_lost_packet_number = lost.front().packet_number,
                                      .largest_lost_sent_time = lost.back().time_sent,
                                      .prior_in_flight = prior_in_flight,
                                      .bytes_in_flight = detector_.bytes_in_flight(),
                                      .persistent_congestion = persistent});
  target_rate_.on_loss(now, bytes_lost, persistent);
}

void sender::on_repaired_losses(std::uint64_t packets, std::uint64_t bytes, time_point now) {
  if (packets == 0) return;
  stats_.repaired_losses += packets;
  // A loss signal of the path, not a retransmission: the controller
  // responds as to any loss (one response per recovery period, as usual),
  // while the flight and the delivery-rate sampler are left alone.
  const duration srtt = detector_.rtt().has_sample() ? detector_.rtt().smoothed_rtt() : duration::zero();
  const std::uint64_t in_flight = detector_.bytes_in_flight();
  controller_->on_loss(cc::loss_event{.now = now,
                                      .bytes_lost = bytes,
                                      .packets_lost = packets,
                                      .smallest_lost_packet_number =
                                          detector_.largest_acked() == no_packet ? 0 : detector_.largest_acked(),
                                      .largest_lost_sent_time = now - srtt,
                                      .prior_in_flight = in_flight,
                                      .bytes_in_flight = in_flight,
                                      .persistent_congestion = false});
  update_pacer(now);
}

const ack_outcome& sender::on_ack_received(const ack_info& ack, time_point now) {
  const ack_outcome& out = detector_.on_ack_received(ack, now);
  if (out.error) return out;
  for (const auto& p : out.acked)
    if (p.in_flight) sampler_.on_packet_acked(p.delivery, p.time_sent, p.bytes, now);
  // A packet declared lost that arrives after all was delivered: on a
  // reordering path leaving it out would make every delivery rate (and BBR's
  // bandwidth estimate) fall short by the share of packets that arrive late.
  for (const auto& p : out.spurious)
    if (p.in_flight) sampler_.on_packet_acked(p.delivery, p.time_sent, p.bytes, now);
  report_losses(out.lost, out.bytes_lost, out.prior_in_flight, out.persistent_congestion, now);
  const cc::rate_sample sample = sampler_.take_sample(detector_.rtt().min_rtt());
  stats_.packets_acked += out.acked.size();

  if (!out.acked.empty()) {
    const rtt_estimator& rtt = detector_.rtt();
    const bool sampled = rtt.has_sample();
    controller_->on_ack(cc::ack_event{.now = now,
                                      .bytes_acked = out.bytes_acked,
                                      .prior_in_flight = out.prior_in_flight,
                                      .bytes_in_flight = detector_.bytes_in_flight(),
                                      .largest_acked_sent_time = out.largest_acked_sent_time,
                                      .latest_rtt = rtt.latest_rtt(),
                                      .smoothed_rtt = sampled ? rtt.smoothed_rtt() : duration::zero(),
                                      .min_rtt = rtt.min_rtt(),
                                      .rttvar = sampled ? rtt.rttvar() : duration::zero(),
                                      .delivered = sampler_.delivered(),
                                      .sample = sample,
                                      .newest_acked_overtook = out.newest_acked_overtook,
                                      .ack_delay = std::clamp(ack.ack_delay, duration::zero(),
                                                              rtt.config().max_ack_delay)});
    // The RTT sample less the peer's ack delay, as RFC 9002 §5.3 adjusts
    // it: never below the min RTT.
    const duration ack_delay = std::clamp(ack.ack_delay, duration::zero(), rtt.config().max_ack_delay);
    const duration adjusted = out.rtt_updated && rtt.latest_rtt() >= rtt.min_rtt() + ack_delay
                                  ? rtt.latest_rtt() - ack_delay
                                  : rtt.latest_rtt();
    target_rate_.on_ack(cc::target_rate_sample{.now = now,
                                               .bandwidth_estimate = controller_->bandwidth_estimate(),
                                               .delivery = sample,
                                               .latest_rtt = out.rtt_updated ? adjusted : duration::zero(),
                                               .smoothed_rtt = sampled ? rtt.smoothed_rtt() : duration::zero(),
                                               .min_rtt = rtt.min_rtt(),
                                               .bytes_acked = out.bytes_acked,
                                               .delivered = sampler_.delivered(),
                                               // Real-time mode wraps the controller in a delay_bound (constructor).
                                               .capped_rate = config_.real_time
                                                                  ? static_cast<const cc::delay_bound&>(*controller_)
                                                                        .capped_rate()
                                                                  : 0});
    drain_guard_.update(target_rate_.draining_rate(), rtt.min_rtt(), target_rate_.queue_threshold(),
                        detector_.bytes_in_flight());
  }
  for (const auto& p : out.spurious) {
    ++stats_.spurious_losses;
    controller_->on_spurious_loss(cc::spurious_loss_event{
        .now = now, .packet_number = p.packet_number, .bytes = p.bytes, .sent_time = p.time_sent});
  }
  if (ack.has_ecn && ack.ecn.ce > ecn_ce_seen_ && !out.acked.empty()) {
    controller_->on_ecn(cc::ecn_event{.now = now,
                                      .ce_increase = ack.ecn.ce - ecn_ce_seen_,
                                      .largest_acked_sent_time = out.largest_acked_sent_time,
                                      .bytes_in_flight = detector_.bytes_in_flight()});
    ecn_ce_seen_ = ack.ecn.ce;
  }
  if (!out.acked.empty()) probes_owed_ = 0;
  update_pacer(now);
  return out;
}

const timeout_outcome& sender::on_timeout(time_point now) {
  const timeout_outcome& out = detector_.on_timeout(now);
  report_losses(out.lost, out.bytes_lost, out.prior_in_flight, out.persistent_congestion, now);
  if (out.probes > 0) {
    ++stats_.probe_timeouts;
    probes_owed_ = std::max(probes_owed_, out.probes);
  }
  update_pacer(now);
  return out;
}

void sender::on_handshake_confirmed(time_point now) {
  controller_->on_handshake_confirmed(now);
  update_pacer(now);
}

void sender::on_app_limited(time_point now) {
  sampler_.on_app_limited(detector_.bytes_in_flight());
  controller_->on_app_limited(
      cc::app_limited_event{.now = now, .bytes_in_flight = detector_.bytes_in_flight()});
  note_limit(send_limit::application, now);
}

} // namespace tern::recovery
