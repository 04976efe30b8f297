// The matrix runner on the simulator, in virtual time: one small cell with
// one seed produces a row whose fields are sane, and the per-flow queue-drop
// counts it reads add up to the bottleneck's own.

#include <doctest/doctest.h>

#include "cell_config.hpp"
#include "matrix_report.hpp"
#include "matrix_runner.hpp"

#include "support/seed.hpp"

#include <nlohmann/json.hpp>

using namespace std::chrono_literals;
using namespace tern::matrix;
namespace cc = tern::cc;

TEST_CASE("matrix: one cell, one seed, gives a judged row with sane figures") {
  // The shallowest buffer row: it drops packets, so the drop column has
  // something to count. 15 MB at 100 Mbit/s, well under a second of wall time.
  const auto rows = select_rows(standard_rows(), "buffer 0.1 BDP");
  REQUIRE(rows.size() == 1);
  matrix_options options;
  options.controllers = {cc::algorithm::bbr};
  options.first_seed = tern::test::seed();
  options.seeds = 1;
  const auto result = run_matrix(rows, options);
  REQUIRE(result.error.empty());
  REQUIRE(result.cells.size() == 1);
  const auto& cell = result.cells.front();
  REQUIRE(cell.runs.size() == 1);
  CHECK(cell.judged);
  CHECK(cell.link == up_spec(rows[0], rows[0].path.rate_bps));
  const auto& run = cell.runs.front();
  CHECK(run.seed == tern::test::seed());
  CHECK(run.cell.completed);
  CHECK(run.baseline.completed);
  // Goodput counts stream bytes (98.6% of each 1200-byte datagram): a run
  // cannot beat the link, and a completed 15 MB transfer is not near zero.
  CHECK(run.cell.link_ratio > 0.3);
  CHECK(run.cell.link_ratio <= 0.99);
  CHECK(run.baseline.link_ratio <= 0.99);
  CHECK(run.baseline_ratio ==
        doctest::Approx(run.cell.goodput_per_flow_bps / run.baseline.goodput_per_flow_bps));
  CHECK(run.cell.drop_fraction >= 0);
  CHECK(run.cell.drop_fraction < 0.5);
  CHECK(run.cell.jain == 1);
  CHECK(cell.summary.link_ratio_median == run.cell.link_ratio);
  CHECK(cell.floor_verdict.pass == cell.floor_verdict.failures.empty());
  // The baseline (a one-BDP queue) runs once; the cell once.
  CHECK(result.scenarios_run == 2);

  const std::string table = to_markdown(result, options);
  CHECK(table.find("| buffer 0.1 BDP | clean |") != std::string::npos);
  CHECK(table.find(cell.floor_verdict.pass ? "PASS" : "FAIL") != std::string::npos);
  const auto json = nlohmann::json::parse(to_json(result, options));
  REQUIRE(json["cells"].size() == 1);
  CHECK(json["cells"][0]["row"] == "buffer 0.1 BDP");
  CHECK(json["cells"][0]["runs"][0]["seed"] == tern::test::seed());
  CHECK(json["failed_cells"] == failed_cells(result));
}

TEST_CASE("matrix: per-flow queue drops add up to the bottleneck's, steady state within the whole") {
  // Two flows of different controllers on a queue of a tenth of a BDP.
  tern::bulk::scenario_config c;
  c.link = "rate 20mbit delay 10ms limit 30";
  c.down = "delay 10ms";
  c.flows = 2;
  c.flow_algorithms = {cc::algorithm::bbr, cc::algorithm::cubic};
  c.bytes = 3'000'000;
  c.seed = tern::test::seed();
  c.fairness_warmup = 500ms;
  c.time_limit = 120s;
  const auto r = tern::bulk::run_scenario(c);
  REQUIRE(r.error.empty());
  REQUIRE(r.flows.size() == 2);
  CHECK(r.flows[0].algorithm == cc::algorithm::bbr);
  CHECK(r.flows[1].algorithm == cc::algorithm::cubic);
  CHECK(r.link_dropped_limit > 0);
  CHECK(r.flows[0].queue_drops + r.flows[1].queue_drops == r.link_dropped_limit);
  for (const auto& f : r.flows) {
    CHECK(f.steady_queue_drops <= f.queue_drops);
    CHECK(f.steady_packets_sent <= f.packets_sent);
    CHECK(f.steady_packets_sent > 0);
  }
}

TEST_CASE("matrix: a schedule changes the bottleneck mid-run") {
  // A 2 s blackout of a 10 Mbit/s path in the middle of a 2.5 MB transfer
  // (2 s of link): the transfer takes at least 4 s.
  tern::bulk::scenario_config c;
  c.link = "rate 10mbit delay 10ms limit 1000";
  c.down = "delay 10ms";
  c.schedule =
      "at 500ms: blackout; at 2500ms up: rate 10mbit delay 10ms limit 1000; at 2500ms down: delay 10ms";
  c.bytes = 2'500'000;
  c.seed = tern::test::seed();
  c.time_limit = 120s;
  const auto r = tern::bulk::run_scenario(c);
  REQUIRE(r.error.empty());
  CHECK(r.completed);
  CHECK(r.virtual_duration >= 4s);
  CHECK(r.link_lost > 0);
}
