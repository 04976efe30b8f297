#include "trials.hpp"

#include <algorithm>
#include <numeric>

namespace tern::bench {

namespace {

void measure_ceilings(const trial_plan& plan, trial& t) {
  for (auto size : plan.sizes)
    for (auto mode : plan.modes) {
      ceiling_config c = plan.ceiling;
      c.datagram_size = size;
      c.mode = mode;
      t.ceiling[size][mode] = measure_udp_ceiling(c);
    }
}

void measure_tern(const trial_plan& plan, trial& t) {
  goodput_config g = plan.tern;
  g.duration = plan.ceiling.duration;
  g.ipv6 = plan.ceiling.ipv6;
  t.tern = measure_tern_goodput(g);
}

} // namespace

std::vector<trial> run_trials(const trial_plan& plan) {
  std::vector<trial> out(std::max<std::size_t>(plan.trials, 1));
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i % 2 == 0) {
      measure_ceilings(plan, out[i]);
      measure_tern(plan, out[i]);
    } else {
      measure_tern(plan, out[i]);
      measure_ceilings(plan, out[i]);
    }
  }
  return out;
}

double bits_per_second(const ceiling_result& r) noexcept {
  return r.seconds > 0 ? static_cast<double>(r.received_bytes) * 8 / r.seconds : 0;
}

double bits_per_second(const goodput_result& r) noexcept {
  return r.seconds > 0 ? static_cast<double>(r.bytes) * 8 / r.seconds : 0;
}

const ceiling_result* find_ceiling(const trial& t, std::size_t size, udp_mode mode) noexcept {
  const auto by_size = t.ceiling.find(size);
  if (by_size == t.ceiling.end()) return nullptr;
  const auto by_mode = by_size->second.find(mode);
  return by_mode == by_size->second.end() ? nullptr : &by_mode->second;
}

std::size_t ratio_basis(const trial& t, std::size_t primary) noexcept {
  return t.ceiling.contains(t.tern.datagram_size) ? t.tern.datagram_size : primary;
}

double paired_ratio(const trial& t, std::size_t primary, udp_mode mode) noexcept {
  const ceiling_result* c = find_ceiling(t, ratio_basis(t, primary), mode);
  const double ceiling = c ? bits_per_second(*c) : 0;
  return ceiling > 0 ? bits_per_second(t.tern) / ceiling : 0;
}

std::size_t best_ceiling_trial(const std::vector<trial>& trials, std::size_t size, udp_mode mode) noexcept {
  std::size_t best = 0;
  double best_bps = -1;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    const ceiling_result* c = find_ceiling(trials[i], size, mode);
    const double b = c ? bits_per_second(*c) : 0;
    if (b > best_bps) best_bps = b, best = i;
  }
  return best;
}

std::size_t median_tern_trial(const std::vector<trial>& trials) noexcept {
  if (trials.empty()) return 0;
  std::vector<std::size_t> order(trials.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return bits_per_second(trials[a].tern) < bits_per_second(trials[b].tern);
  });
  return order[(order.size() - 1) / 2];
}

double median(std::vector<double> values) noexcept {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

} // namespace tern::bench
