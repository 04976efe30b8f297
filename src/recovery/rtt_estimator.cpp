// RTT estimation, RFC 9002 §5 (the RFC 6298 estimator with ack-delay
// adjustment), and the dynamic timeout built on it.
//
// The first sample sets SRTT to the sample and RTTVAR to half of it. Later
// samples: RTTVAR = 3/4·RTTVAR + 1/4·|SRTT − adjusted|, then
// SRTT = 7/8·SRTT + 1/8·adjusted, where adjusted is the sample minus the
// peer's ack delay (capped at max_ack_delay) unless that would go below the
// min RTT. Min RTT ignores ack delay, so a peer's inflated delay report can
// never drag it down. Neither can a packet that overtook older ones (a
// reordering link's shortcut; loss_detector flags them): such samples never
// set the min, and count for SRTT only after the first in-order sample and
// when not below a minimum two in-order samples agree on: a packet alone in
// flight that took the shortcut overtakes nothing and sets min_ (RFC 9002
// keeps the lowest sample), and gating on min_ then let every later
// shortcut into SRTT, until the time threshold declared the normal route
// lost. The timeout is RFC 9002's PTO, used also as the RTO:
// one SRTT, four deviations (at least the timer granularity) and the time the
// peer may hold its ACK. Each consecutive timeout doubles it (RFC 6298 §5.5);
// an ACK of new data resets the doubling.

#include "recovery/rtt_estimator.hpp"

#include <algorithm>

namespace tern::recovery {

rtt_estimator::rtt_estimator(const rtt_config& config) noexcept
    : config_{config}, smoothed_{config.initial_rtt}, rttvar_{config.initial_rtt / 2} {}

bool rtt_estimator::on_sample(duration latest_rtt, duration ack_delay, rtt_sample_order order) noexcept {
  if (latest_rtt <= duration::zero()) return false;
  const bool overtaking = order == rtt_sample_order::overtaking;
  if (overtaking && (!has_sample_ || latest_rtt < confirmed_min_.estimate())) return false;
  if (!overtaking) confirmed_min_.update(latest_rtt);
  latest_ = latest_rtt;
  if (!has_sample_) {
    has_sample_ = true;
    min_ = latest_rtt;
    smoothed_ = latest_rtt;
    rttvar_ = latest_rtt / 2;
    return true;
  }
  if (!overtaking) min_ = std::min(min_, latest_rtt);
  ack_delay = std::clamp(ack_delay, duration::zero(), config_.max_ack_delay);
  duration adjusted = latest_rtt;
  if (latest_rtt >= min_ + ack_delay) adjusted = latest_rtt - ack_delay;
  const duration deviation = smoothed_ > adjusted ? smoothed_ - adjusted : adjusted - smoothed_;
  rttvar_ = (3 * rttvar_ + deviation) / 4;
  smoothed_ = (7 * smoothed_ + adjusted) / 8;
  return true;
}

duration rtt_estimator::base_timeout() const noexcept {
  const duration raw = smoothed_ + std::max(config_.granularity, 4 * rttvar_) + config_.max_ack_delay;
  return std::clamp(raw, config_.min_timeout, std::max(config_.min_timeout, config_.max_timeout));
}

duration rtt_estimator::timeout() const noexcept {
  duration t = base_timeout();
  for (std::uint32_t i = 0; i < backoff_ && t < config_.max_timeout; ++i) t *= 2;
  return std::min(t, std::max(config_.max_timeout, base_timeout()));
}

duration rtt_estimator::persistent_congestion_duration(std::uint32_t threshold) const noexcept {
  const duration pto = smoothed_ + std::max(config_.granularity, 4 * rttvar_) + config_.max_ack_delay;
  return pto * threshold;
}

void rtt_estimator::on_timeout() noexcept {
  if (backoff_ < config_.max_backoff) ++backoff_;
}

} // namespace tern::recovery
