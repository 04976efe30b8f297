#pragma once

// A windowed running maximum (or minimum) that keeps the best, second-best
// and third-best samples from successive sub-windows, so the estimate is
// exact for the window and costs three slots (the Kathleen Nichols
// algorithm). BBR uses it for the bottleneck bandwidth over ten round trips.

#include <cstdint>
#include <functional>

namespace tern::cc {

/// `Better(a, b)` is true when a should replace b as the estimate (for a
/// maximum filter, std::greater_equal). Time is any monotonic count: round
/// trips, nanoseconds.
template <class T, class Better>
class windowed_filter {
public:
  /// `window` is the length over which the best sample is kept, in the same
  /// units as the times passed to update().
  explicit constexpr windowed_filter(std::uint64_t window) noexcept : window_{window} {}

  /// Forgets every sample and starts over from `value` at `time`.
  constexpr void reset(T value, std::uint64_t time) noexcept {
    for (auto& s : s_) s = sample{value, time};
    empty_ = false;
  }

  /// Adds a sample taken at `time` (never earlier than the previous one).
  constexpr void update(T value, std::uint64_t time) noexcept {
    if (empty_ || better_(value, s_[0].value) || time - s_[2].time > window_) {
      reset(value, time);
      return;
    }
    if (better_(value, s_[1].value)) {
      s_[1] = s_[2] = sample{value, time};
    } else if (better_(value, s_[2].value)) {
      s_[2] = sample{value, time};
    }
    // Age out the best sample once it is older than the window; promote the
    // sub-window champions. A second pass handles a gap of two sub-windows.
    const std::uint64_t age = time - s_[0].time;
    if (age > window_) {
      s_[0] = s_[1];
      s_[1] = s_[2];
      s_[2] = sample{value, time};
      if (time - s_[0].time > window_) {
        s_[0] = s_[1];
        s_[1] = s_[2];
      }
    } else if (s_[1].time == s_[0].time && age > window_ / 4) {
      // A quarter window passed with nothing better: start tracking a
      // second-best from here so the estimate can fall when s_[0] expires.
      s_[1] = s_[2] = sample{value, time};
    } else if (s_[2].time == s_[1].time && age > window_ / 2) {
      s_[2] = sample{value, time};
    }
  }

  /// The best sample in the window; T{} before any sample.
  [[nodiscard]] constexpr T best() const noexcept { return empty_ ? T{} : s_[0].value; }
  [[nodiscard]] constexpr bool empty() const noexcept { return empty_; }
  [[nodiscard]] constexpr std::uint64_t window() const noexcept { return window_; }
  constexpr void set_window(std::uint64_t window) noexcept { window_ = window; }

private:
  struct sample {
    T value{};
    std::uint64_t time = 0;
  };
  sample s_[3]{};
  std::uint64_t window_;
  bool empty_ = true;
  [[no_unique_address]] Better better_{};
};

template <class T>
using max_filter = windowed_filter<T, std::greater_equal<T>>;
template <class T>
using min_filter = windowed_filter<T, std::less_equal<T>>;

} // namespace tern::cc
