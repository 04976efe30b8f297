#pragma once

#include "sim/netem_spec.hpp"

#include <tern/random.hpp>
#include <tern/time.hpp>

#include <cstdint>
#include <span>

namespace tern::sim {

/// netem's correlated random number generator (sch_netem.c get_crandom): the
/// next value is a weighted average of a fresh uniform 32-bit draw and the
/// previous value, weight rho = correlation. rho 0 is plain uniform draws.
/// The marginal stays centred on 2^31 but narrows as rho grows, exactly as in
/// netem, so "loss 10% 50%" does not lose 10% of packets.
class correlated_random {
public:
  correlated_random() = default;
  /// `correlation_percent` in [0, 100]; draws the initial "last" value from rng.
  correlated_random(double correlation_percent, random_source& rng) noexcept;

  /// The next 32-bit value.
  std::uint32_t next(random_source& rng) noexcept;

private:
  std::uint32_t rho_ = 0;
  std::uint32_t last_ = 0;
};

/// A probability as netem holds it: rint(fraction * UINT32_MAX), compared as
/// `threshold >= draw` (so 100% always fires and 0% is tested separately).
std::uint32_t probability_threshold(double percent) noexcept;

/// netem's distribution tables: 4096 signed 16-bit samples of the inverse
/// CDF, scaled by netem_dist_scale (8192) so one unit of sigma is 8192. tern
/// computes them at first use from the same definitions iproute2's
/// normal.c / pareto.c / paretonormal.c use (normal: inverse CDF at
/// (4k + 0.5) / 16384; pareto: alpha 3, shifted by its mean 1.5 and scaled by
/// 4/3, clipped at 32767; paretonormal: (normal + 3 * pareto) / 4 entrywise).
/// Empty for `uniform`, which netem draws without a table.
std::span<const std::int16_t> distribution_table(delay_distribution d);

inline constexpr std::int64_t netem_dist_scale = 8192;

/// netem's tabledist(): mu + sigma * (table value / 8192), in nanoseconds,
/// with netem's integer rounding; uniform in [mu - sigma, mu + sigma) when d
/// is uniform; mu when sigma is 0 (no draw is made then, as in netem). One
/// deliberate difference: the 32-bit draw picks a table entry by scaling
/// (draw * size >> 32) instead of netem's `draw % size`. Both give the same
/// distribution for uncorrelated draws, but the modulo keeps only the low
/// bits, which a correlated draw barely correlates, so netem's delay
/// correlation has almost no effect; scaling keeps it.
std::int64_t tabledist(std::int64_t mu, std::int64_t sigma, delay_distribution d, correlated_random* corr,
                       random_source& rng) noexcept;

} // namespace tern::sim
