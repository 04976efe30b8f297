#pragma once

#include "congestion/loss_based.hpp"

namespace tern::cc {

/// NewReno as RFC 9002 §7 and Appendix B specify it: slow start (+1 byte per
/// byte acknowledged) until the first loss or ssthresh, then congestion
/// avoidance (+1 datagram per window acknowledged), halving on a congestion
/// event, the minimum window on persistent congestion.
class new_reno final : public loss_based_controller {
public:
  explicit new_reno(const controller_config& config) noexcept : loss_based_controller{config} {}

  [[nodiscard]] std::string_view state_name() const noexcept override;
  [[nodiscard]] algorithm kind() const noexcept override { return algorithm::new_reno; }

private:
  void grow(const ack_event& e) override;
  void reduce(time_point now) override;
  void collapse(time_point now) override;

  /// Acknowledged bytes not yet turned into window growth in congestion
  /// avoidance (byte counting without rounding loss).
  std::uint64_t avoidance_credit_ = 0;
};

} // namespace tern::cc
