#pragma once

#include <tern/time.hpp>

#include <chrono>

namespace tern::detail {

/// How much earlier than the armed timer a new deadline must be before the
/// endpoint moves its timer. Pacing and ACK-delay deadlines creep earlier by
/// a few microseconds after most datagrams; moving the timer for each costs a
/// timerfd_settime and a cancelled wait, while firing up to this late costs
/// nothing the pacer does not already absorb (it sends what became due in
/// one batch). Small against the smallest RTT tern meets on loopback
/// (~100 us).
inline constexpr duration timer_slack = std::chrono::microseconds{50};

/// Whether a timer armed for `armed` (never if none) must be moved to fire at
/// `earliest`. The timer only ever moves earlier: one left armed too late by
/// less than timer_slack fires a little late, one armed too early costs one
/// wakeup that finds nothing due and arms it again.
constexpr bool timer_needs_moving(time_point earliest, time_point armed) noexcept {
  return earliest < armed - timer_slack;
}

} // namespace tern::detail
