#include <doctest/doctest.h>

#include "cell_metrics.hpp"

#include <cmath>
#include <vector>

using namespace std::chrono_literals;
using namespace tern::matrix;
using tern::bulk::flow_result;
using tern::bulk::scenario_result;

TEST_CASE("ideal transfer: a constant link needs bits / rate") {
  CHECK(ideal_transfer_seconds(100e6, 100e6, {}) == doctest::Approx(1.0));
  CHECK(ideal_capacity_bps(100e6, 100e6, {}) == doctest::Approx(100e6));
}

TEST_CASE("ideal transfer: 100 -> 10 -> 100 Mbit/s") {
  // 1.5 s at 100 Mbit/s carries 150 Mbit, 1.5 s at 10 Mbit/s 15 more; the
  // remaining 91 Mbit take 0.91 s at 100 Mbit/s.
  const std::vector<rate_phase> phases{{1500ms, 10e6}, {3000ms, 100e6}};
  CHECK(ideal_transfer_seconds(256e6, 100e6, phases) == doctest::Approx(3.91));
  CHECK(ideal_capacity_bps(256e6, 100e6, phases) == doctest::Approx(256e6 / 3.91));
  // A transfer that ends before the first change never sees it.
  CHECK(ideal_transfer_seconds(50e6, 100e6, phases) == doctest::Approx(0.5));
  // One that ends inside the slow phase.
  CHECK(ideal_transfer_seconds(155e6, 100e6, phases) == doctest::Approx(2.0));
}

TEST_CASE("ideal transfer: a blackout carries nothing") {
  const std::vector<rate_phase> phases{{1500ms, 0}, {3500ms, 100e6}};
  CHECK(ideal_transfer_seconds(256e6, 100e6, phases) == doctest::Approx(3.5 + 1.06));
  // Ending in a blackout, it never finishes.
  const std::vector<rate_phase> forever{{1s, 0}};
  CHECK(std::isinf(ideal_transfer_seconds(256e6, 100e6, forever)));
  CHECK(ideal_capacity_bps(256e6, 100e6, forever) == 0);
}

TEST_CASE("steady drops: drops over packets sent, summed over the flows") {
  std::vector<flow_result> flows(2);
  flows[0].steady_queue_drops = 3;
  flows[0].steady_packets_sent = 100;
  flows[0].queue_drops = 50; // start-up drops are not steady state
  flows[1].steady_queue_drops = 1;
  flows[1].steady_packets_sent = 300;
  CHECK(steady_drop_fraction(flows) == doctest::Approx(0.01));
  CHECK(steady_drop_fraction(std::vector<flow_result>(1)) == 0);
}

TEST_CASE("figures: one flow is judged by its whole transfer") {
  scenario_result r;
  r.completed = true;
  r.flows.resize(1);
  r.flows[0].goodput_bps = 80e6;
  r.flows[0].window_goodput_bps = 1; // not used with one flow
  r.flows[0].steady_queue_drops = 2;
  r.flows[0].steady_packets_sent = 1000;
  r.mean_queue_delay_ms = 12.5;
  const auto f = figures_of(r, 1, 100e6);
  CHECK(f.completed);
  CHECK(f.goodput_per_flow_bps == doctest::Approx(80e6));
  CHECK(f.link_ratio == doctest::Approx(0.8));
  CHECK(f.drop_fraction == doctest::Approx(0.002));
  CHECK(f.jain == 1);
  CHECK(f.mean_queue_delay_ms == 12.5);
}

TEST_CASE("figures: several flows are judged in the fairness window, competitors count only as flows") {
  scenario_result r;
  r.flows.resize(3);
  r.flows[0].window_goodput_bps = 20e6;
  r.flows[1].window_goodput_bps = 40e6;
  r.flows[2].window_goodput_bps = 40e6; // the competitor
  r.flows[0].steady_packets_sent = r.flows[1].steady_packets_sent = 500;
  r.flows[2].steady_queue_drops = 100; // its drops are not the tested flows'
  r.flows[2].steady_packets_sent = 100;
  const auto f = figures_of(r, 2, 100e6);
  CHECK_FALSE(f.completed);
  CHECK(f.goodput_per_flow_bps == doctest::Approx(30e6));
  CHECK(f.link_ratio == doctest::Approx(0.9)); // 30 Mbit/s per flow x 3 flows
  CHECK(f.drop_fraction == 0);
  CHECK(f.jain == doctest::Approx(0.9)); // (20+40)^2 / (2 (400+1600))
}

TEST_CASE("baseline ratio and the reference a row is judged by") {
  run_figures cell, baseline;
  cell.goodput_per_flow_bps = 40e6;
  cell.link_ratio = 0.4;
  baseline.goodput_per_flow_bps = 50e6;
  CHECK(baseline_ratio(cell, baseline) == doctest::Approx(0.8));
  CHECK(reference_ratio(reference::unimpaired_cell, cell, baseline) == doctest::Approx(0.8));
  CHECK(reference_ratio(reference::link, cell, baseline) == doctest::Approx(0.4));
  baseline.goodput_per_flow_bps = 0;
  CHECK(baseline_ratio(cell, baseline) == 0);
}

TEST_CASE("reference ratio: an impairment that takes link time scales the clean cell down") {
  run_figures cell, baseline;
  cell.goodput_per_flow_bps = 30e6;
  cell.link_ratio = 0.3;
  baseline.goodput_per_flow_bps = 90e6;
  // The impaired link carries at most half of what the clean one does: the
  // reference is 45 Mbit/s, and 30 of it is 2/3.
  CHECK(reference_ratio(reference::unimpaired_cell, cell, baseline, 0.5) == doctest::Approx(2.0 / 3));
  // A share above 1 (reordered packets skip netem's serializer) is taken as
  // 1: an impairment never raises the reference above the clean cell.
  CHECK(reference_ratio(reference::unimpaired_cell, cell, baseline, 1.2) == doctest::Approx(1.0 / 3));
  // Rows judged against the link do not use it.
  CHECK(reference_ratio(reference::link, cell, baseline, 0.5) == doctest::Approx(0.3));
  CHECK(reference_ratio(reference::unimpaired_cell, cell, baseline, 0) == 0);
}

TEST_CASE("median: odd and even counts, none") {
  CHECK(median({3, 1, 2}) == 2);
  CHECK(median({4, 1, 3, 2}) == doctest::Approx(2.5));
  CHECK(median({}) == 0);
}

TEST_CASE("summarize: medians, worst seeds and completion over the seeds") {
  std::vector<seed_run> runs(3);
  const double link[] = {0.9, 0.5, 0.8};
  const double drops[] = {0.0, 0.02, 0.01};
  const double jain[] = {0.99, 0.97, 0.93};
  for (int i = 0; i < 3; ++i) {
    runs[i].cell.completed = i != 1;
    runs[i].cell.link_ratio = link[i];
    runs[i].cell.drop_fraction = drops[i];
    runs[i].cell.jain = jain[i];
    runs[i].cell.mean_queue_delay_ms = 10.0 * i;
    runs[i].baseline_ratio = link[i] + 0.1;
    runs[i].reference_ratio = link[i] + 0.05;
    runs[i].capacity_share = 1.0 - 0.1 * i;
  }
  const auto s = summarize(runs);
  CHECK(s.link_ratio_median == doctest::Approx(0.8));
  CHECK(s.link_ratio_min == doctest::Approx(0.5));
  CHECK(s.baseline_ratio_median == doctest::Approx(0.9));
  CHECK(s.baseline_ratio_min == doctest::Approx(0.6));
  CHECK(s.reference_ratio_median == doctest::Approx(0.85));
  CHECK(s.reference_ratio_min == doctest::Approx(0.55));
  CHECK(s.drop_fraction_max == doctest::Approx(0.02));
  CHECK(s.jain_min == doctest::Approx(0.93));
  CHECK(s.mean_queue_delay_ms_median == doctest::Approx(10.0));
  CHECK(s.capacity_share_min == doctest::Approx(0.8));
  CHECK_FALSE(s.all_completed);
}
