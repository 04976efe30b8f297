#pragma once

// BBR's min RTT, where no single sample can lower the estimate alone. A
// packet that was alone in flight and took a reordering link's shortcut
// overtakes nothing, so nothing marks its RTT as suspect; taken as the
// minimum it would hold the window (a multiple of bandwidth × min RTT) at a
// fraction of the pipe until the estimate expires. A real decrease shows in
// every packet on the path, so a sample more than `tolerance` below the
// estimate is only a candidate until another one within `tolerance` of it
// confirms the lower of the two. A sample within `tolerance` below the
// estimate lowers it at once, as a plain minimum would: flows sharing a
// bottleneck see their queue drain in small steps, and a minimum that lags
// them leaves a flow with a larger window than the others. A candidate that is not confirmed is replaced by the next
// sample below the estimate: a lone outlier is forgotten, not kept waiting.
// The first sample (and the first after a restart) serves until it is
// confirmed the same way; meanwhile a lower sample replaces it, and so does
// one more than twice as high (it was the outlier), but not one only
// somewhat higher (a queue building in Startup must not raise it).

#include <tern/time.hpp>

#include <algorithm>

namespace tern::cc {

class min_rtt_filter {
public:
  /// `tolerance`: two samples confirm each other when the larger is at most
  /// (1 + tolerance) × the smaller.
  explicit min_rtt_filter(double tolerance) noexcept : tolerance_{tolerance} {}

  [[nodiscard]] bool empty() const noexcept { return estimate_ == duration::zero(); }
  /// The confirmed minimum, or the single provisional sample (zero: none).
  [[nodiscard]] duration estimate() const noexcept { return estimate_; }
  /// True while the estimate is one sample nothing has confirmed yet.
  [[nodiscard]] bool provisional() const noexcept { return provisional_; }

  /// Forgets every sample and starts over from `sample`, provisionally.
  void restart(duration sample) noexcept {
    estimate_ = sample;
    provisional_ = true;
    candidate_ = duration::zero();
  }

  /// Adds a sample. Returns true when it is at most the resulting estimate:
  /// it shows the estimate is still current.
  bool update(duration sample) noexcept {
    if (empty()) {
      restart(sample);
    } else if (provisional_) {
      if (close(estimate_, sample)) {
        estimate_ = std::min(estimate_, sample);
        provisional_ = false;
      } else if (sample < estimate_ || sample > outlier_ratio * estimate_) {
        // Lower: the plain minimum. Far higher: the provisional sample was
        // the outlier (a shortcut). Only somewhat higher is a queue
        // building, which must not raise the estimate.
        estimate_ = sample;
      }
    } else if (sample < estimate_) {
      if (close(estimate_, sample)) {
        // A small step down (a queue draining further): as a plain minimum.
        estimate_ = sample;
        candidate_ = duration::zero();
      } else if (candidate_ != duration::zero() && close(candidate_, sample)) {
        estimate_ = std::min(candidate_, sample);
        candidate_ = duration::zero();
      } else {
        candidate_ = sample;
      }
    }
    return sample <= estimate_;
  }

private:
  [[nodiscard]] bool close(duration a, duration b) const noexcept {
    const auto [low, high] = std::minmax(a, b);
    return static_cast<double>(high.count()) <= (1.0 + tolerance_) * static_cast<double>(low.count());
  }

  /// A provisional estimate this many times below a sample was an outlier.
  static constexpr int outlier_ratio = 2;

  double tolerance_;
  duration estimate_{0};
  bool provisional_ = false;
  /// A sample below the confirmed estimate, waiting for a second (zero: none).
  duration candidate_{0};
};

} // namespace tern::cc
