#include "cell_metrics.hpp"

#include "jain_index.hpp"

#include <algorithm>
#include <chrono>
#include <limits>

namespace tern::matrix {

double ideal_transfer_seconds(double bits, double rate_bps, std::span<const rate_phase> phases) {
  double t = 0, rate = rate_bps, left = bits;
  for (const auto& phase : phases) {
    const double until = std::chrono::duration<double>(phase.at).count();
    if (until > t) {
      const double can = rate * (until - t);
      if (can >= left) return t + left / rate;
      left -= can;
      t = until;
    }
    rate = phase.rate_bps;
  }
  if (left <= 0) return t;
  return rate > 0 ? t + left / rate : std::numeric_limits<double>::infinity();
}

double ideal_capacity_bps(double bits, double rate_bps, std::span<const rate_phase> phases) {
  const double seconds = ideal_transfer_seconds(bits, rate_bps, phases);
  if (!(seconds < std::numeric_limits<double>::infinity())) return 0;
  return seconds > 0 ? bits / seconds : rate_bps;
}

double steady_drop_fraction(std::span<const bulk::flow_result> flows) {
  std::uint64_t drops = 0, sent = 0;
  for (const auto& f : flows) {
    drops += f.steady_queue_drops;
    sent += f.steady_packets_sent;
  }
  return sent > 0 ? static_cast<double>(drops) / static_cast<double>(sent) : 0;
}

run_figures figures_of(const bulk::scenario_result& result, std::size_t flows_under_test,
                       double capacity_bps) {
  run_figures f;
  const std::size_t n = std::min(flows_under_test, result.flows.size());
  const std::span<const bulk::flow_result> tested{result.flows.data(), n};
  f.completed = result.completed;
  std::vector<double> rates;
  for (const auto& flow : tested)
    rates.push_back(result.flows.size() > 1 ? flow.window_goodput_bps : flow.goodput_bps);
  double sum = 0;
  for (const double r : rates) sum += r;
  f.goodput_per_flow_bps = n > 0 ? sum / static_cast<double>(n) : 0;
  f.link_ratio =
      capacity_bps > 0 ? f.goodput_per_flow_bps * static_cast<double>(result.flows.size()) / capacity_bps : 0;
  f.drop_fraction = steady_drop_fraction(tested);
  f.jain = n > 1 ? bulk::jain_index(rates) : 1;
  f.mean_queue_delay_ms = result.mean_queue_delay_ms;
  return f;
}

double baseline_ratio(const run_figures& cell, const run_figures& baseline) {
  return baseline.goodput_per_flow_bps > 0 ? cell.goodput_per_flow_bps / baseline.goodput_per_flow_bps : 0;
}

double reference_ratio(reference judged_against, const run_figures& cell, const run_figures& baseline,
                       double capacity_share) {
  if (judged_against == reference::link) return cell.link_ratio;
  const double share = std::clamp(capacity_share, 0.0, 1.0);
  return share > 0 ? baseline_ratio(cell, baseline) / share : 0;
}

seed_summary summarize(std::span<const seed_run> runs) {
  seed_summary s;
  if (runs.empty()) return s;
  std::vector<double> link, base, ref, queue_delay;
  s.link_ratio_min = s.baseline_ratio_min = s.reference_ratio_min = std::numeric_limits<double>::infinity();
  for (const auto& r : runs) {
    link.push_back(r.cell.link_ratio);
    base.push_back(r.baseline_ratio);
    ref.push_back(r.reference_ratio);
    queue_delay.push_back(r.cell.mean_queue_delay_ms);
    s.link_ratio_min = std::min(s.link_ratio_min, r.cell.link_ratio);
    s.baseline_ratio_min = std::min(s.baseline_ratio_min, r.baseline_ratio);
    s.reference_ratio_min = std::min(s.reference_ratio_min, r.reference_ratio);
    s.drop_fraction_max = std::max(s.drop_fraction_max, r.cell.drop_fraction);
    s.jain_min = std::min(s.jain_min, r.cell.jain);
    s.capacity_share_min = std::min(s.capacity_share_min, r.capacity_share);
    s.all_completed = s.all_completed && r.cell.completed;
  }
  s.link_ratio_median = median(link);
  s.baseline_ratio_median = median(base);
  s.reference_ratio_median = median(ref);
  s.mean_queue_delay_ms_median = median(queue_delay);
  return s;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

} // namespace tern::matrix
