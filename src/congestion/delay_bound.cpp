// Real-time mode's queueing-delay bound (delay_bound.hpp).

#include "congestion/delay_bound.hpp"

#include <algorithm>

namespace tern::cc {

delay_bound::delay_bound(std::unique_ptr<controller> inner, const delay_bound_config& config,
                         std::uint64_t max_datagram_size) noexcept
    : inner_{std::move(inner)}, config_{config}, min_window_{4 * max_datagram_size},
      delivered_rate_{static_cast<std::uint64_t>(config.sample_window_max.count())}, queue_{config.queue} {}

void delay_bound::on_ack(const ack_event& e) {
  inner_->on_ack(e);
  const duration window = std::clamp(e.min_rtt, config_.sample_window_min, config_.sample_window_max);
  delivered_rate_.set_window(static_cast<std::uint64_t>(window.count()));
  if (e.sample.valid && e.sample.delivery_rate > 0)
    delivered_rate_.update(e.sample.delivery_rate, static_cast<std::uint64_t>(e.now.time_since_epoch().count()));
  // The RTT sample less the peer's ack delay (RFC 9002 §5.3).
  const duration rtt = e.latest_rtt >= e.min_rtt + e.ack_delay ? e.latest_rtt - e.ack_delay : e.latest_rtt;
  queue_.on_rtt_sample(e.now, rtt, e.min_rtt);
  if (!queue_.has_sample() || delivered_rate_.empty()) return;

  const duration queueing = queue_.delay();
  const duration threshold = queue_.threshold();
  if (queueing > threshold) {
    // The path delivers delivered_rate_; in flight beyond its BDP only
    // queues. Half the threshold of queue keeps the bottleneck busy through
    // ACK gaps and the delivery-rate filter's lag.
    const double seconds = std::chrono::duration<double>(e.min_rtt + threshold / 2).count();
    const auto bound = static_cast<std::uint64_t>(static_cast<double>(delivered_rate_.best()) * seconds);
    // While a queue stands the bottleneck is busy, so what it delivers is
    // its rate, whatever the cap.
    cap_ = std::max(bound, min_window_);
  } else if (cap_ != 0 && queueing < std::chrono::duration_cast<duration>(threshold * config_.release_fraction)) {
    cap_ = 0;
  }
}

std::uint64_t delay_bound::congestion_window() const noexcept {
  const std::uint64_t w = inner_->congestion_window();
  return cap_ == 0 ? w : std::min(w, cap_);
}

std::uint64_t delay_bound::bandwidth_estimate() const noexcept {
  const std::uint64_t b = inner_->bandwidth_estimate();
  return cap_ == 0 ? b : std::min(b, delivered_rate_.best());
}

} // namespace tern::cc
