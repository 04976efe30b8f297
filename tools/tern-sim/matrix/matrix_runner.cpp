// Each cell is (row, controller); each seed of it runs the cell's scenario
// and its baseline (cell_config::unimpaired). Baselines repeat across rows
// (every reordering row at 20 ms shares one), and a row with nothing to
// take away is its own baseline, so results are kept by scenario and each
// distinct scenario runs once.

#include "matrix_runner.hpp"

#include "cell_config.hpp"
#include "link_capacity.hpp"

#include "sim/netem_spec.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <vector>

namespace tern::matrix {
namespace {

// Everything run_scenario reads, as one string.
std::string scenario_key(const bulk::scenario_config& c) {
  std::string key = c.link + "|" + c.down + "|" + c.schedule + "|" + std::string{cc::to_string(c.algorithm)};
  for (const auto a : c.flow_algorithms) key += "," + std::string{cc::to_string(a)};
  key += "|" + std::to_string(c.flows) + "|" + std::to_string(c.bytes) + "|" + std::to_string(c.seed) + "|" +
         std::to_string(c.mtu) + "|" + std::to_string(c.time_limit.count()) + "|" +
         std::to_string(c.fairness_warmup.count());
  return key;
}

class scenario_cache {
public:
  const bulk::scenario_result& run(const bulk::scenario_config& config) {
    auto [it, fresh] = results_.try_emplace(scenario_key(config));
    if (fresh) it->second = bulk::run_scenario(config);
    return it->second;
  }
  std::size_t size() const noexcept { return results_.size(); }

private:
  std::map<std::string, bulk::scenario_result> results_;
};

double capacity_of(const path_row& row) {
  const double bits = static_cast<double>(row.bytes) * 8 * static_cast<double>(row.flows + row.competitors);
  return ideal_capacity_bps(bits, row.path.rate_bps, row.phases);
}

// What a saturating sender gets through the row's data direction, as a
// fraction of its rate, over as many packets as the row's flows send
// (at most 50 000: enough for a stable figure, milliseconds of CPU).
double saturated_fraction(const path_row& row, std::uint64_t seed) {
  auto spec = sim::parse_netem_spec(up_spec(row, row.path.rate_bps));
  if (!spec.ok()) return 1;
  const std::uint64_t packets = row.bytes * (row.flows + row.competitors) / matrix_mtu;
  return saturated_link_fraction(spec.value(), seed, std::clamp<std::uint64_t>(packets, 1000, 50000), matrix_mtu);
}

// The impaired link's capacity over the clean one's, at most 1 (see
// reference_ratio); 1 for rows judged against the link.
double capacity_share(const path_row& row, const path_row& clean, std::uint64_t seed) {
  if (row.judged_against != reference::unimpaired_cell) return 1;
  const double clean_fraction = saturated_fraction(clean, seed);
  return clean_fraction > 0 ? std::min(1.0, saturated_fraction(row, seed) / clean_fraction) : 1;
}

} // namespace

std::vector<path_row> select_rows(std::span<const path_row> rows, const std::string& text) {
  std::vector<path_row> out;
  for (const auto& r : rows)
    if (text.empty() || r.group.find(text) != std::string::npos || r.name.find(text) != std::string::npos)
      out.push_back(r);
  return out;
}

matrix_result run_matrix(std::span<const path_row> rows, const matrix_options& options) {
  const auto wall_start = std::chrono::steady_clock::now();
  matrix_result result;
  scenario_cache cache;
  for (const auto& row : rows) {
    const path_row clean = unimpaired(row);
    // The same for every controller: the link's, not the sender's.
    std::vector<double> shares;
    for (std::size_t s = 0; s < options.seeds; ++s) shares.push_back(capacity_share(row, clean, options.first_seed + s));
    for (std::size_t c = 0; c < options.controllers.size(); ++c) {
      const cc::algorithm algorithm = options.controllers[c];
      if (options.on_cell) options.on_cell(row.name + " / " + std::string{cc::to_string(algorithm)});
      cell_result cell;
      cell.row = row;
      cell.algorithm = algorithm;
      for (std::size_t s = 0; s < options.seeds; ++s) {
        const std::uint64_t seed = options.first_seed + s;
        const auto config = scenario_for(row, algorithm, seed);
        const auto& impaired = cache.run(config);
        const auto& baseline = cache.run(scenario_for(clean, algorithm, seed));
        for (const auto* r : {&impaired, &baseline})
          if (!r->error.empty()) {
            result.error = row.name + ": " + r->error;
            return result;
          }
        if (s == 0) {
          cell.link = config.link;
          cell.down = config.down;
          cell.schedule = config.schedule;
        }
        seed_run run;
        run.seed = seed;
        run.cell = figures_of(impaired, row.flows, capacity_of(row));
        run.baseline = figures_of(baseline, clean.flows, capacity_of(clean));
        run.baseline_ratio = baseline_ratio(run.cell, run.baseline);
        run.capacity_share = shares[s];
        run.reference_ratio = reference_ratio(row.judged_against, run.cell, run.baseline, run.capacity_share);
        cell.runs.push_back(run);
      }
      cell.summary = summarize(cell.runs);
      cell.judged = c == 0;
      cell_summary judged;
      judged.reference_ratio_median = cell.summary.reference_ratio_median;
      judged.reference_ratio_min = cell.summary.reference_ratio_min;
      judged.drop_fraction_max = cell.summary.drop_fraction_max;
      judged.drops_are_own = row.competitors == 0;
      if (row.flows > 1) judged.jain_min = cell.summary.jain_min;
      cell.floor_verdict = judge(judged);
      result.cells.push_back(std::move(cell));
    }
  }
  result.scenarios_run = cache.size();
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return result;
}

} // namespace tern::matrix
