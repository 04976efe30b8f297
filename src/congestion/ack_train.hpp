#pragma once

// The rate at which a train of ACKs delivers data (packet-train dispersion).
// A burst of packets leaves the sender faster than the bottleneck can carry
// it; the bottleneck spaces the packets out at its own rate, and the ACKs
// arrive with that spacing. The data acknowledged after the first ACK of the
// train, over the time since that ACK, is then the bottleneck rate, one
// round trip after the burst, long before a delivery-rate sample spanning a
// whole round trip exists. BBR's jump start (bbr_startup_jump.cpp) uses one
// train for the initial window and one to check the rate it jumped to.

#include <tern/time.hpp>

#include <cstdint>
#include <optional>

namespace tern::cc {

class ack_train {
public:
  /// An ACK newly acknowledging `bytes` arrived at `now` (not earlier than
  /// the previous one). The first ACK only starts the clock: its bytes
  /// crossed the bottleneck before the train's interval began.
  void on_ack(time_point now, std::uint64_t bytes) noexcept;

  /// ACKs seen so far.
  [[nodiscard]] std::uint64_t acks() const noexcept { return acks_; }
  /// Time from the first ACK to the latest one (zero before two ACKs).
  [[nodiscard]] duration span() const noexcept { return acks_ < 2 ? duration::zero() : last_ - first_; }
  /// Bytes acknowledged after the first ACK.
  [[nodiscard]] std::uint64_t bytes_after_first() const noexcept { return bytes_after_first_; }
  /// Bytes per second over span(); nullopt before at least `min_acks` ACKs
  /// (at least two) or when they all arrived at the same instant (the ACKs
  /// were compressed: the train says nothing about the path).
  [[nodiscard]] std::optional<std::uint64_t> rate(std::uint64_t min_acks = 2) const noexcept;
  /// The largest over the smallest gap between successive ACKs (infinite
  /// when two arrived at the same instant; 1 before three ACKs). A bottleneck
  /// spaces a train evenly, give or take a lost packet; ACKs released in
  /// batches (aggregation on the return path) show gaps of very different
  /// lengths, and their rate over the span measures the batching.
  [[nodiscard]] double gap_ratio() const noexcept;

private:
  std::uint64_t acks_ = 0;
  std::uint64_t bytes_after_first_ = 0;
  time_point first_{};
  time_point last_{};
  duration min_gap_{duration::max()};
  duration max_gap_{0};
};

} // namespace tern::cc
