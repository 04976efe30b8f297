#pragma once

// When a connection tells the application that its target rate changed
// (connection_event::kind::target_rate_changed): only after it moved by
// more than a fraction of the value last reported, so an encoder retunes
// on a real change and not on every ACK's wobble.

#include <cstdint>

namespace tern::core {

class target_rate_report {
public:
  /// `min_change`: the fraction of the last reported value the target must
  /// move by (0.1: ten percent either way).
  explicit target_rate_report(double min_change = 0.1) noexcept : min_change_{min_change} {}

  /// Whether `target` (bytes per second) is news: the first non-zero value,
  /// or one that differs from the last reported by more than the fraction.
  /// If so it becomes the last reported value.
  bool update(std::uint64_t target) noexcept {
    if (target == 0 || target == reported_) return false;
    const double last = static_cast<double>(reported_);
    const double change = static_cast<double>(target > reported_ ? target - reported_ : reported_ - target);
    if (reported_ != 0 && change <= min_change_ * last) return false;
    reported_ = target;
    return true;
  }

  /// The value last reported (0: none yet).
  [[nodiscard]] std::uint64_t reported() const noexcept { return reported_; }

private:
  double min_change_;
  std::uint64_t reported_ = 0;
};

} // namespace tern::core
