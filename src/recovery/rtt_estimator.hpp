#pragma once

#include "congestion/min_rtt_filter.hpp"

#include <tern/time.hpp>

#include <cstdint>

namespace tern::recovery {

struct rtt_config {
  /// RTT assumed before the first sample (RFC 9002 §6.2.2: 333 ms).
  duration initial_rtt = std::chrono::milliseconds(333);
  /// Timer granularity (RFC 9002 kGranularity).
  duration granularity = std::chrono::milliseconds(1);
  /// The peer's max_ack_delay: the longest it may hold back an ACK.
  duration max_ack_delay = std::chrono::milliseconds(25);
  /// Bounds on the timeout before backoff...
  duration min_timeout = std::chrono::milliseconds(10);
  duration max_timeout = std::chrono::seconds(60);
  /// ...and on the number of doublings.
  std::uint32_t max_backoff = 16;
};

/// Whether an RTT sample's packet arrived in order or overtook an older one
/// still outstanding (loss_detector decides).
enum class rtt_sample_order : std::uint8_t { in_order, overtaking };

/// RTT estimation (RFC 6298, RFC 9002 §5) and the retransmission timeout
/// derived from it: min RTT, smoothed RTT and RTT variance from samples,
/// adjusted by the peer's reported ack delay, and
///   timeout = clamp(SRTT + max(granularity, 4·RTTVAR) + max_ack_delay,
///                   min_timeout, max_timeout) · 2^backoff   (≤ max_timeout)
/// where backoff counts consecutive timeouts and resets on progress.
class rtt_estimator {
public:
  explicit rtt_estimator(const rtt_config& config = {}) noexcept;

  /// Adds a sample: `latest_rtt` is the time from sending the largest newly
  /// acknowledged packet to receiving its ACK, `ack_delay` what the peer
  /// reported. The ack delay is capped at max_ack_delay and is subtracted
  /// only when that does not take the sample below min RTT (§5.3). Samples
  /// ≤ 0 are ignored. An overtaking sample is ignored before the first
  /// in-order one and when below the confirmed minimum (a minimum two
  /// in-order samples agree on, min_rtt_filter.hpp: a lone in-order sample
  /// that took the shortcut while alone in flight must not let every later
  /// shortcut in), and otherwise enters SRTT and
  /// RTTVAR but not the min: a packet a reordering link sent past its delay
  /// line shows a shortcut, and as SRTT it would make the time threshold
  /// declare every packet on the normal route lost. (One that overtook the
  /// hole a real loss left takes about the path's RTT, and counts.) The
  /// price: when the very first packets are lost, the time threshold runs
  /// on the initial RTT until an in-order sample comes (the packet
  /// threshold is not affected).
  /// Returns whether the sample was taken.
  bool on_sample(duration latest_rtt, duration ack_delay,
                 rtt_sample_order order = rtt_sample_order::in_order) noexcept;

  [[nodiscard]] bool has_sample() const noexcept { return has_sample_; }
  /// The most recent raw sample (zero before any).
  [[nodiscard]] duration latest_rtt() const noexcept { return latest_; }
  /// Minimum over the in-order samples, ack delay not subtracted (zero
  /// before any).
  [[nodiscard]] duration min_rtt() const noexcept { return min_; }
  /// SRTT: initial_rtt before the first sample.
  [[nodiscard]] duration smoothed_rtt() const noexcept { return smoothed_; }
  /// RTTVAR: initial_rtt / 2 before the first sample.
  [[nodiscard]] duration rttvar() const noexcept { return rttvar_; }

  /// SRTT + max(granularity, 4·RTTVAR) + max_ack_delay, clamped to the
  /// configured bounds, without backoff.
  [[nodiscard]] duration base_timeout() const noexcept;
  /// base_timeout() · 2^backoff, at most max_timeout.
  [[nodiscard]] duration timeout() const noexcept;
  /// The persistent congestion duration (RFC 9002 §7.6.1): the unclamped
  /// base timeout times `threshold`.
  [[nodiscard]] duration persistent_congestion_duration(std::uint32_t threshold) const noexcept;

  /// A timeout fired without progress: the next timeout doubles.
  void on_timeout() noexcept;
  /// The peer acknowledged new data: back to the base timeout.
  void on_progress() noexcept { backoff_ = 0; }
  /// Consecutive timeouts so far.
  [[nodiscard]] std::uint32_t backoff() const noexcept { return backoff_; }

  void set_max_ack_delay(duration d) noexcept { config_.max_ack_delay = d; }
  [[nodiscard]] const rtt_config& config() const noexcept { return config_; }

private:
  rtt_config config_;
  duration latest_{0};
  duration min_{0};
  /// Gates overtaking samples; RFC 9002's min_ above is left as it is.
  cc::min_rtt_filter confirmed_min_{0.25};
  duration smoothed_;
  duration rttvar_;
  std::uint32_t backoff_ = 0;
  bool has_sample_ = false;
};

} // namespace tern::recovery
