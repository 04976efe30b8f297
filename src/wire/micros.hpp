#pragma once

#include <tern/time.hpp>

#include <cstdint>
#include <limits>

namespace tern::wire {

/// Largest microsecond count that converts to a tern::duration without
/// overflow; larger values on the wire saturate to it.
inline constexpr std::uint64_t max_duration_micros =
    static_cast<std::uint64_t>(std::numeric_limits<duration::rep>::max() / 1000);

/// A microsecond count read from the wire as a duration, saturating at
/// max_duration_micros (so huge values never overflow).
constexpr duration micros_to_duration(std::uint64_t micros) noexcept {
  if (micros > max_duration_micros) micros = max_duration_micros;
  return duration{static_cast<duration::rep>(micros) * 1000};
}

/// A duration as whole microseconds for the wire (rounded down; negative
/// durations become 0).
constexpr std::uint64_t duration_to_micros(duration d) noexcept {
  return d.count() <= 0 ? 0 : static_cast<std::uint64_t>(d.count() / 1000);
}

} // namespace tern::wire
