#pragma once

// A low quantile of RTT samples gathered over round trips: what BBR feeds
// its min-RTT filter once it has an estimate.
//
// On a path whose delay jitters widely (netem `delay 20ms 20ms`, both
// ways), a draw near zero each way is common, so single round trips of a
// fraction of a millisecond are real and recur: a minimum of samples, even
// one two samples must confirm (min_rtt_filter.hpp), settles on them, and
// the window, a multiple of bandwidth × min RTT, holds a few packets of a
// pipe that needs a hundred milliseconds of data. The 10th percentile of a
// round trip's samples is a delay a good share of its packets saw: on a
// steady path it is the minimum plus the little queue the round kept (the
// filter's minimum over rounds then picks the round with the least, as
// ProbeRTT provides); under jitter it is a low but typical delay, not a
// rare lucky one. A low quantile rather than the median keeps ACK
// batching on the return path (netem `slot`, whose wait every sample
// carries a share of) out of the estimate: extra_acked covers that.
//
// Memory is fixed: the first `capacity` samples count (a round at
// 100 Mbit/s and 40 ms has about 200 ACKs; the first 64 are as typical as
// the rest).

#include <tern/time.hpp>

#include <algorithm>
#include <array>
#include <cstddef>

namespace tern::cc {

class round_rtt_quantile {
public:
  static constexpr std::size_t capacity = 64;

  void add(duration sample) noexcept {
    if (count_ < capacity) samples_[count_++] = sample;
  }
  [[nodiscard]] std::size_t size() const noexcept { return count_; }

  /// The sample at quantile `q` (0: the smallest, 1: the largest, rounded
  /// down between) of those added since the last call, and forgets them.
  /// Zero when there are none.
  duration take(double q) noexcept {
    if (count_ == 0) return duration::zero();
    const auto at = static_cast<std::size_t>(std::clamp(q, 0.0, 1.0) * static_cast<double>(count_ - 1));
    const auto first = samples_.begin();
    std::nth_element(first, first + static_cast<std::ptrdiff_t>(at), first + static_cast<std::ptrdiff_t>(count_));
    const duration value = samples_[at];
    count_ = 0;
    return value;
  }

  /// Forgets the samples.
  void clear() noexcept { count_ = 0; }

private:
  std::array<duration, capacity> samples_{};
  std::size_t count_ = 0;
};

} // namespace tern::cc
