// Real-time mode's queueing-delay bound (delay_bound.hpp).

#include "congestion/delay_bound.hpp"

#include <algorithm>
#include <cmath>

namespace tern::cc {

delay_bound::delay_bound(std::unique_ptr<controller> inner, const delay_bound_config& config,
                         std::uint64_t max_datagram_size) noexcept
    : inner_{std::move(inner)}, config_{config}, min_window_{4 * max_datagram_size},
      delivered_rate_{static_cast<std::uint64_t>(config.sample_window_max.count())}, queue_{config.queue},
      busy_{config.busy} {}

std::uint64_t delay_bound::bound(std::uint64_t rate, duration min_rtt, duration threshold) const noexcept {
  const double seconds = std::chrono::duration<double>(min_rtt).count() +
                         std::chrono::duration<double>(threshold).count() * config_.queue_fraction;
  return std::max(static_cast<std::uint64_t>(static_cast<double>(rate) * seconds), min_window_);
}

void delay_bound::on_ack(const ack_event& e) {
  inner_->on_ack(e);
  const duration window = std::clamp(e.min_rtt, config_.sample_window_min, config_.sample_window_max);
  delivered_rate_.set_window(static_cast<std::uint64_t>(window.count()));
  if (e.sample.valid && e.sample.delivery_rate > 0)
    delivered_rate_.update(e.sample.delivery_rate, static_cast<std::uint64_t>(e.now.time_since_epoch().count()));
  // The RTT sample less the peer's ack delay (RFC 9002 §5.3).
  const duration rtt = e.latest_rtt >= e.min_rtt + e.ack_delay ? e.latest_rtt - e.ack_delay : e.latest_rtt;
  queue_.on_rtt_sample(e.now, rtt, e.min_rtt);
  const duration queued = e.min_rtt > duration::zero() && rtt > e.min_rtt ? rtt - e.min_rtt : duration::zero();
  busy_.on_ack(e.now, queued, e.delivered);
  const time_point previous_ack = last_ack_;
  last_ack_ = e.now;
  if (!queue_.has_sample()) return;

  const duration threshold = queue_.threshold();
  if (const std::uint64_t busy_rate = busy_.rate(); busy_rate != 0) {
    // The bottleneck is busy and delivers busy_rate: in flight beyond its
    // BDP plus the queue allowed only queues.
    const std::uint64_t b = bound(busy_rate, e.min_rtt, threshold);
    // A sender short of data spaces its packets out itself: at a low rate
    // one packet's serialization (4.8 ms at 2 Mbit/s) already reads as a
    // queue, and the ACKs then time the sender, not the path. Such ACKs may
    // raise the cap, never lower it; a queue above the threshold is real
    // whoever made it.
    const bool measures_path = e.sample.valid && !e.sample.is_app_limited;
    // A sender with data waiting (a bulk stream filling the window) is
    // held to the queue the cap allows as soon as it exceeds it: its queue
    // is what every media packet beside it waits behind.
    const duration engage = measures_path ? std::chrono::duration_cast<duration>(threshold * config_.queue_fraction)
                                          : threshold;
    if ((cap_ == 0 && queued > engage && e.bytes_in_flight > b) ||
        (cap_ != 0 && (measures_path || busy_rate > rate_))) {
      cap_ = b;
      rate_ = busy_rate;
    }
    return;
  }
  if (queue_.congested() && !delivered_rate_.empty()) {
    // A standing queue the busy clock has not measured (sparse ACKs): the
    // recent delivery rate is the path's, the bottleneck having been busy.
    const std::uint64_t b = bound(delivered_rate_.best(), e.min_rtt, threshold);
    if (cap_ == 0 || b < cap_) {
      cap_ = b;
      rate_ = delivered_rate_.best();
    }
    return;
  }
  if (cap_ != 0 && queued < config_.busy.busy_queue && previous_ack != time_point{} && e.min_rtt > duration::zero()) {
    // The bottleneck idled: the path may carry more than the cap lets out.
    const double rtts = std::chrono::duration<double>(e.now - previous_ack).count() /
                        std::chrono::duration<double>(e.min_rtt).count();
    const double growth = std::pow(config_.cap_growth, std::min(rtts, 4.0));
    const double grown = static_cast<double>(cap_) * growth;
    if (grown >= static_cast<double>(inner_->congestion_window())) {
      cap_ = 0;
      rate_ = 0;
    } else {
      cap_ = static_cast<std::uint64_t>(grown);
      rate_ = static_cast<std::uint64_t>(static_cast<double>(rate_) * growth);
    }
  }
}

std::uint64_t delay_bound::congestion_window() const noexcept {
  const std::uint64_t w = inner_->congestion_window();
  return cap_ == 0 ? w : std::min(w, cap_);
}

std::uint64_t delay_bound::pacing_rate() const noexcept {
  const std::uint64_t p = inner_->pacing_rate();
  return cap_ == 0 || rate_ == 0 ? p : std::min(p, rate_);
}

std::uint64_t delay_bound::bandwidth_estimate() const noexcept {
  const std::uint64_t b = inner_->bandwidth_estimate();
  return cap_ == 0 ? b : std::min(b, rate_);
}

} // namespace tern::cc
