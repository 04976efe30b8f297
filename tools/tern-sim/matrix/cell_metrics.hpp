#pragma once

// The figures the matrix reports, computed from tern-sim's scenario
// results: pure functions, unit-tested with hand-made inputs
// (tests/unit/matrix).

#include "path_rows.hpp"
#include "scenario.hpp"

#include <span>
#include <vector>

namespace tern::matrix {

/// Seconds an ideal sender needs to push `bits` through a bottleneck that
/// starts at `rate_bps` and follows `phases` (sorted by time; a phase of
/// rate 0 is a blackout): the time at which the link's capacity integral
/// reaches `bits`. Propagation delay is not counted. Infinite when the
/// capacity never gets there (the last phase a blackout, or no rate).
double ideal_transfer_seconds(double bits, double rate_bps, std::span<const rate_phase> phases);

/// The link's average capacity over that ideal transfer, bit/s: `rate_bps`
/// without phases; 0 when the transfer could never finish.
double ideal_capacity_bps(double bits, double rate_bps, std::span<const rate_phase> phases);

/// Queue drops the flows caused themselves, as a fraction of the packets
/// they sent, in steady state: from each flow's start-up end on (see
/// scenario.hpp, steady_queue_drops). 0 when they sent nothing then.
double steady_drop_fraction(std::span<const bulk::flow_result> flows);

/// What one run of one cell gave.
struct run_figures {
  bool completed = false;
  /// Goodput per flow under test, bit/s: the mean over those flows, of each
  /// flow's whole transfer with one flow, of the fairness window with several
  /// (so a flow that finishes first does not hand the others an empty link).
  double goodput_per_flow_bps = 0;
  /// Goodput per flow × all flows on the link / the link's ideal capacity:
  /// the fraction of the link the flows under test would fill at the rate
  /// they achieved, had every flow done as well.
  double link_ratio = 0;
  /// steady_drop_fraction of the flows under test.
  double drop_fraction = 0;
  /// Jain's index among the flows under test (fairness window goodputs);
  /// 1 with a single flow under test.
  double jain = 1;
  /// The bottleneck's mean queueing delay (every flow's packets), ms: what
  /// the controller costs the path in delay.
  double mean_queue_delay_ms = 0;
};

/// The figures of `result`, whose first `flows_under_test` flows run the
/// controller under test, on a link of ideal capacity `capacity_bps`.
run_figures figures_of(const bulk::scenario_result& result, std::size_t flows_under_test,
                       double capacity_bps);

/// The cell's goodput per flow under test against its unimpaired
/// baseline's (same seed); 0 when the baseline delivered nothing.
double baseline_ratio(const run_figures& cell, const run_figures& baseline);

/// The ratio a row is judged by: baseline_ratio, or the link ratio for rows
/// judged against the link. `capacity_share` is what the impaired link can
/// carry at all over what the clean link can (saturated_link_fraction,
/// link_capacity.hpp), taken as at most 1: when the impairment itself takes
/// link time away (jitter wider than the queue), no sender can reach the
/// clean cell, and the clean cell is scaled down by that share. Impairments
/// that take packets but not link time (loss, reordering, the ACK path)
/// have a share of 1 and are judged against the clean cell as it is.
double reference_ratio(reference judged_against, const run_figures& cell, const run_figures& baseline,
                       double capacity_share = 1);

/// One seed of one cell: the cell, its baseline, and the ratios.
struct seed_run {
  std::uint64_t seed = 0;
  run_figures cell, baseline;
  double baseline_ratio = 0;
  /// The capacity_share reference_ratio was given (1 for rows judged
  /// against the link).
  double capacity_share = 1;
  double reference_ratio = 0;
};

/// A cell over its seeds.
struct seed_summary {
  double link_ratio_median = 0, link_ratio_min = 0;
  double baseline_ratio_median = 0, baseline_ratio_min = 0;
  double reference_ratio_median = 0, reference_ratio_min = 0;
  double drop_fraction_max = 0;
  double jain_min = 1;
  double mean_queue_delay_ms_median = 0;
  /// The least capacity_share over the seeds (1: the impairment takes no
  /// link time).
  double capacity_share_min = 1;
  bool all_completed = true;
};
seed_summary summarize(std::span<const seed_run> runs);

/// The median of `values` (the mean of the middle two for an even count);
/// 0 for none.
double median(std::vector<double> values);

} // namespace tern::matrix
