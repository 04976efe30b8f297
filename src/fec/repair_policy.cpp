#include "fec/repair_policy.hpp"

#include "wire/repair_frames.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace tern::fec {

namespace {

constexpr std::size_t max_block = wire::repair_bounds::max_sources + wire::repair_bounds::max_repairs;

/// tail[n][j]: probability of more than j losses among the first n packets,
/// for every n up to `packets`, from one pass of the Gilbert chain.
struct loss_tails {
  std::array<std::array<double, max_block + 1>, max_block + 1> more_than{};
};

loss_tails tails(std::size_t packets, double p, double b) {
  loss_tails t;
  p = std::clamp(p, 0.0, 0.999);
  b = std::max(b, 1.0);
  const double leave_bad = 1.0 / b;
  // Stationary share of the bad state is p: good -> bad with enter_bad.
  const double enter_bad = std::min(1.0, p * leave_bad / (1.0 - p));
  // dist[s][j]: in state s (0 good, 1 bad) after the packets so far, j lost.
  std::array<std::array<double, max_block + 1>, 2> dist{};
  // The packet before the block: stationary.
  std::array<double, 2> before{1.0 - p, p};
  // First packet.
  dist[0][0] = before[0] * (1 - enter_bad) + before[1] * leave_bad;
  dist[1][1] = before[0] * enter_bad + before[1] * (1 - leave_bad);
  auto record = [&](std::size_t n) {
    double at_most = 0;
    for (std::size_t j = 0; j <= max_block; ++j) {
      at_most += dist[0][j] + dist[1][j];
      t.more_than[n][j] = std::max(0.0, 1.0 - at_most);
    }
  };
  record(1);
  for (std::size_t n = 2; n <= packets; ++n) {
    std::array<std::array<double, max_block + 1>, 2> next{};
    for (std::size_t j = 0; j < max_block; ++j) {
      next[0][j] += dist[0][j] * (1 - enter_bad) + dist[1][j] * leave_bad;
      next[1][j + 1] += dist[0][j] * enter_bad + dist[1][j] * (1 - leave_bad);
    }
    dist = next;
    record(n);
  }
  return t;
}

} // namespace

double unrecoverable_probability(std::size_t sources, std::size_t repairs, double loss_rate, double mean_burst) {
  const std::size_t n = sources + repairs;
  if (n == 0 || n > max_block || repairs > max_block) return 0;
  return tails(n, loss_rate, mean_burst).more_than[n][repairs];
}

block_layout layout_for(double loss_rate, double mean_burst) noexcept {
  const bool bursty = loss_rate > 0 && mean_burst >= bursty_mean_burst;
  return block_layout{bursty, bursty};
}

std::size_t repairs_for(const block_outlook& block, const repair_policy_config& config) {
  const std::size_t k = std::min<std::size_t>(block.sources, wire::repair_bounds::max_sources);
  if (k == 0 || config.mode == repair_mode::off) return 0;
  const auto ceil_ratio = [&](double ratio) {
    return static_cast<std::size_t>(std::ceil(std::max(0.0, ratio) * static_cast<double>(k) - 1e-9));
  };
  constexpr std::size_t cap = wire::repair_bounds::max_repairs;
  if (config.mode == repair_mode::fixed) return std::min(cap, ceil_ratio(config.fixed_ratio));
  if (block.loss_rate <= 0) return 0;
  const std::size_t most = std::min(cap, ceil_ratio(config.max_ratio));
  const double target =
      block.retransmission_can_help ? target_with_retransmission : target_without_retransmission;
  const loss_tails t = tails(k + most, block.loss_rate, block.mean_burst);
  for (std::size_t m = 0; m <= most; ++m)
    if (t.more_than[k + m][m] <= target) return m;
  return most;
}

} // namespace tern::fec
