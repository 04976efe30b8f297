#pragma once

// How much more data ACKs delivered than the bandwidth estimate explains:
// BBR's extra_acked (draft-ietf-ccwg-bbr, "BBRUpdateACKAggregation").
//
// A return path that batches ACKs (Wi-Fi and cellular aggregation, netem's
// `slot`, jitter that holds ACKs behind a slow one) leaves the sender with
// nothing acknowledged for a while and then acknowledges a burst at once. A
// window of gain × bandwidth × min RTT is empty by the time the burst comes,
// so the sender stalls for the gap and the link idles; the window needs
// headroom for the data the ACKs will release late. The estimate: an epoch
// starts whenever the ACKs fall behind the estimated rate (delivered in the
// epoch at most bandwidth × its duration); within an epoch, the excess of
// what was delivered over bandwidth × duration is the aggregation, and the
// estimate is its maximum over the last `window_rounds` round trips.

#include <tern/time.hpp>

#include "congestion/windowed_filter.hpp"

#include <cstdint>

namespace tern::cc {

class ack_aggregation {
public:
  explicit ack_aggregation(std::uint64_t window_rounds) noexcept : max_extra_{window_rounds} {}

  /// One ACK at `now` that delivered `newly_delivered` bytes, with the
  /// bandwidth estimate `bandwidth` (bytes per second) and `round` the round
  /// trip count. An excess is counted at most up to `cap` bytes (the draft
  /// caps it at the congestion window: a burst cannot release more than was
  /// in flight).
  void on_ack(time_point now, std::uint64_t newly_delivered, std::uint64_t bandwidth, std::uint64_t round,
              std::uint64_t cap) noexcept;

  /// Maximum excess over the window, in bytes (0 before any).
  [[nodiscard]] std::uint64_t extra_acked() const noexcept { return max_extra_.best(); }

  /// Forgets the estimate (the path changed under it).
  void reset() noexcept;

private:
  max_filter<std::uint64_t> max_extra_;
  bool epoch_started_ = false;
  time_point epoch_start_{};
  std::uint64_t epoch_delivered_ = 0;
};

} // namespace tern::cc
