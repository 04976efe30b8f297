// Delivery-rate estimation, draft-cheng-iccrg-delivery-rate-estimation-02.
//
// Each packet carries a snapshot of the connection's delivery counters taken
// when it was sent. When it is acknowledged, the data delivered since that
// snapshot, divided by the longer of the send interval and the ACK interval,
// is the delivery rate over one flight. Taking the longer of the two keeps
// ACK compression (ACKs bunched on the return path) and send bursts from
// inflating the estimate. Among the packets an ACK covers, the most recently
// sent one gives the sample, so each sample reflects the newest state.

#include "congestion/delivery_rate_sampler.hpp"

#include <algorithm>

namespace tern::cc {

packet_send_state delivery_rate_sampler::on_packet_sent(time_point now, std::uint64_t prior_in_flight,
                                                        std::uint64_t bytes) noexcept {
  // Nothing in flight: a new sampling interval starts now, so that an idle
  // period is not counted as slow delivery.
  if (prior_in_flight == 0) {
    first_sent_time_ = now;
    delivered_time_ = now;
  }
  return packet_send_state{
      .delivered = delivered_,
      .lost = lost_,
      .tx_in_flight = prior_in_flight + bytes,
      .delivered_time = delivered_time_,
      .first_sent_time = first_sent_time_,
      .is_app_limited = app_limited_until_ != 0,
  };
}

void delivery_rate_sampler::on_packet_acked(const packet_send_state& state, time_point sent_time,
                                            std::uint64_t bytes, time_point now) noexcept {
  delivered_ += bytes;
  delivered_time_ = now;
  // Keep the most recently sent packet's snapshot: the largest delivered
  // count, ties broken by send time.
  const bool newer = !pending_.has_packet || state.delivered > pending_.prior_delivered ||
                     (state.delivered == pending_.prior_delivered && sent_time > pending_sent_time_);
  if (!newer) return;
  pending_.has_packet = true;
  pending_.prior_delivered = state.delivered;
  pending_.is_app_limited = state.is_app_limited;
  pending_.tx_in_flight = state.tx_in_flight;
  pending_.rtt = now - sent_time;
  pending_prior_lost_ = state.lost;
  pending_prior_time_ = state.delivered_time;
  pending_sent_time_ = sent_time;
  pending_send_elapsed_ = sent_time - state.first_sent_time;
  pending_ack_elapsed_ = now - state.delivered_time;
  // The next interval starts at this packet's send time.
  first_sent_time_ = sent_time;
}

void delivery_rate_sampler::on_app_limited(std::uint64_t bytes_in_flight) noexcept {
  app_limited_until_ = std::max<std::uint64_t>(delivered_ + bytes_in_flight, 1);
}

rate_sample delivery_rate_sampler::take_sample(duration min_rtt) noexcept {
  rate_sample s = pending_;
  pending_ = rate_sample{};
  if (app_limited_until_ != 0 && delivered_ > app_limited_until_) app_limited_until_ = 0;
  if (!s.has_packet) return s;
  s.delivered = delivered_ - s.prior_delivered;
  s.lost = lost_ - pending_prior_lost_;
  s.interval = std::max(pending_send_elapsed_, pending_ack_elapsed_);
  // An interval shorter than the minimum RTT means the ACKs or sends were
  // compressed; such a rate would overstate the path.
  if (s.interval <= duration::zero() || s.interval < min_rtt) return s;
  const auto ns = static_cast<double>(s.interval.count());
  s.delivery_rate = static_cast<std::uint64_t>(static_cast<double>(s.delivered) * 1e9 / ns);
  s.valid = true;
  return s;
}

} // namespace tern::cc
