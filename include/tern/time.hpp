#pragma once

#include <chrono>
#include <cstdint>

namespace tern {

/// tern's notion of time: monotonic nanoseconds from an arbitrary epoch.
///
/// The sans-IO core never reads a clock. Drivers pass `now` in: the Asio
/// driver converts std::chrono::steady_clock, the simulator passes virtual
/// time. A distinct clock type keeps the two from being mixed by accident.
struct clock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::duration<rep, period>;
  using time_point = std::chrono::time_point<clock>;
  static constexpr bool is_steady = true;
};

using duration = clock::duration;
using time_point = clock::time_point;

/// A deadline that never arrives; what next_timeout() returns when idle.
inline constexpr time_point never = time_point::max();

/// The same instant on std::chrono::steady_clock, for real-time drivers.
inline time_point from_steady(std::chrono::steady_clock::time_point t) noexcept {
  return time_point{std::chrono::duration_cast<duration>(t.time_since_epoch())};
}
inline std::chrono::steady_clock::time_point to_steady(time_point t) noexcept {
  return std::chrono::steady_clock::time_point{
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(t.time_since_epoch())};
}

} // namespace tern
