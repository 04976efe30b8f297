// netem's random building blocks: correlated draws and tabled delay
// distributions.
//
// Correlation (Linux net/sched/sch_netem.c, get_crandom): with rho the
// correlation scaled to 2^32, answer = (value * (2^32 - rho) + last * rho)
// >> 32 with rho incremented by one first, so 100% correlation repeats the
// last value forever. tern keeps the arithmetic bit for bit.
//
// Tables (iproute2 tc/netem/{normal,pareto,paretonormal}.c, loaded by tc
// into the kernel): tern does not ship tc's .dist files; it builds the same
// tables from their definitions the first time they are needed. The normal
// table is the inverse normal CDF sampled at every fourth of 16384 quantile
// steps (tc's scan rounds each quantile to the nearest step, which puts the
// sample half a step up: (4k + 0.5) / 16384); the pareto table samples an
// alpha = 3 Pareto at u = 1 - k / 4096 and rescales it to mean 0; the
// paretonormal table mixes the two entrywise with weights 1/4 and 3/4.

#include "sim/distribution.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>

namespace tern::sim {

correlated_random::correlated_random(double correlation_percent, random_source& rng) noexcept
    : rho_(probability_threshold(correlation_percent)), last_(rng.next_u32()) {}

std::uint32_t correlated_random::next(random_source& rng) noexcept {
  if (rho_ == 0) return rng.next_u32();
  const std::uint64_t value = rng.next_u32();
  const std::uint64_t rho = static_cast<std::uint64_t>(rho_) + 1;
  const std::uint64_t answer = (value * ((1ULL << 32) - rho) + static_cast<std::uint64_t>(last_) * rho) >> 32;
  last_ = static_cast<std::uint32_t>(answer);
  return last_;
}

std::uint32_t probability_threshold(double percent) noexcept {
  const double f = std::clamp(percent / 100.0, 0.0, 1.0);
  return static_cast<std::uint32_t>(std::rint(f * 4294967295.0));
}

namespace {

constexpr int table_size = 4096;
using table = std::array<std::int16_t, table_size>;

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double inverse_normal_cdf(double p) {
  double lo = -12, hi = 12;
  for (int i = 0; i < 200 && hi - lo > 1e-13; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (normal_cdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

std::int16_t clamp16(double v) {
  return static_cast<std::int16_t>(std::clamp(v, static_cast<double>(SHRT_MIN), static_cast<double>(SHRT_MAX)));
}

double normal_value(int k) {
  return std::rint(inverse_normal_cdf((4.0 * k + 0.5) / 16384.0) * static_cast<double>(netem_dist_scale));
}

double pareto_value(int k) {
  constexpr double alpha = 3.0;
  const double u = static_cast<double>(65536 - 16 * k) / 65536.0;
  double v = 1.0 / std::pow(u, 1.0 / alpha);
  v -= 1.5;
  v *= (4.0 / 3.0) * static_cast<double>(netem_dist_scale);
  v = std::min(v, 32767.0);
  return std::rint(v);
}

const table& normal_table() {
  static const table t = [] {
    table out{};
    for (int k = 0; k < table_size; ++k) out[k] = clamp16(normal_value(k));
    return out;
  }();
  return t;
}

const table& pareto_table() {
  static const table t = [] {
    table out{};
    for (int k = 0; k < table_size; ++k) out[k] = clamp16(pareto_value(k));
    return out;
  }();
  return t;
}

const table& paretonormal_table() {
  static const table t = [] {
    table out{};
    for (int k = 0; k < table_size; ++k) {
      const auto n = static_cast<int>(normal_value(k));
      const auto p = static_cast<int>(pareto_value(k));
      out[k] = clamp16(static_cast<double>((n + 3 * p) / 4)); // C integer division, as tc's generator
    }
    return out;
  }();
  return t;
}

} // namespace

std::span<const std::int16_t> distribution_table(delay_distribution d) {
  switch (d) {
  case delay_distribution::uniform: return {};
  case delay_distribution::normal: return normal_table();
  case delay_distribution::pareto: return pareto_table();
  case delay_distribution::paretonormal: return paretonormal_table();
  }
  return {};
}

std::int64_t tabledist(std::int64_t mu, std::int64_t sigma, delay_distribution d, correlated_random* corr,
                       random_source& rng) noexcept {
  if (sigma == 0) return mu;
  const std::uint64_t rnd = corr != nullptr ? corr->next(rng) : rng.next_u32();
  if (d == delay_distribution::uniform) {
    const auto span = static_cast<std::uint64_t>(2 * sigma);
    // (rnd * span) >> 32 for span < 2^32; split to avoid overflow above that.
    const std::uint64_t offset = ((rnd * (span & 0xffffffffULL)) >> 32) + rnd * (span >> 32);
    return static_cast<std::int64_t>(offset) + mu - sigma;
  }
  const auto tab = distribution_table(d);
  const auto index = static_cast<std::size_t>((rnd * tab.size()) >> 32);
  const std::int64_t t = tab[index];
  // netem splits sigma so the product cannot overflow and rounds half away
  // from zero.
  std::int64_t x = (sigma % netem_dist_scale) * t;
  if (x >= 0) x += netem_dist_scale / 2;
  else x -= netem_dist_scale / 2;
  return x / netem_dist_scale + (sigma / netem_dist_scale) * t + mu;
}

} // namespace tern::sim
