#include <doctest/doctest.h>

#include "matrix_report.hpp"

#include <nlohmann/json.hpp>

using namespace tern::matrix;
namespace cc = tern::cc;

namespace {

// Two rows, two controllers: the first row's BBR cell fails a floor.
matrix_result two_rows(matrix_options& options) {
  options.controllers = {cc::algorithm::bbr, cc::algorithm::cubic};
  options.seeds = 1;
  matrix_result r;
  for (const char* name : {"reorder 3%, 20 ms", "loss 1%, 40 ms"})
    for (const auto a : options.controllers) {
      cell_result c;
      c.row.group = "g";
      c.row.name = name;
      c.algorithm = a;
      c.judged = a == cc::algorithm::bbr;
      c.summary.link_ratio_median = 0.5;
      c.summary.link_ratio_min = 0.25;
      c.summary.baseline_ratio_median = 0.75;
      c.summary.drop_fraction_max = 0.0123;
      c.runs.resize(1);
      if (c.judged && c.row.name.starts_with("reorder")) {
        c.floor_verdict.pass = false;
        c.floor_verdict.failures = {"goodput 0.3 of the reference (median) < 0.8"};
      }
      r.cells.push_back(c);
    }
  return r;
}

} // namespace

TEST_CASE("report: only the judged controller's cells count as failed") {
  matrix_options options;
  auto r = two_rows(options);
  CHECK(failed_cells(r) == 1);
  r.cells[1].floor_verdict.pass = false; // CUBIC: reported, never judged
  CHECK(failed_cells(r) == 1);
}

TEST_CASE("report: one Markdown line per row, the judged controller first, failures listed") {
  matrix_options options;
  const std::string md = to_markdown(two_rows(options), options);
  CHECK(
      md.starts_with("| row | ref | BBR link | BBR vs clean | BBR drops | BBR Jain | floors | CUBIC link |"));
  CHECK(
      md.find(
          "| reorder 3%, 20 ms | clean | 0.50 (0.25) | 0.75 (0.00) | 1.23% | – | **FAIL** | 0.50 | 0.75 |") !=
      std::string::npos);
  CHECK(md.find("| loss 1%, 40 ms | clean | 0.50 (0.25) | 0.75 (0.00) | 1.23% | – | PASS |") !=
        std::string::npos);
  CHECK(md.find("1 of 2 BBR cells miss a floor:") != std::string::npos);
  CHECK(md.find("- reorder 3%, 20 ms: goodput 0.3 of the reference (median) < 0.8") != std::string::npos);
}

TEST_CASE("report: the JSON has every cell, verdicts only on judged ones") {
  matrix_options options;
  const auto j = nlohmann::json::parse(to_json(two_rows(options), options));
  CHECK(j["controllers"] == nlohmann::json::array({"bbr", "cubic"}));
  CHECK(j["failed_cells"] == 1);
  REQUIRE(j["cells"].size() == 4);
  CHECK(j["cells"][0]["pass"] == false);
  CHECK(j["cells"][0]["failures"].size() == 1);
  CHECK_FALSE(j["cells"][1].contains("pass"));
  CHECK(j["cells"][2]["pass"] == true);
  CHECK(j["cells"][0]["drop_fraction_max"] == doctest::Approx(0.0123));
}

TEST_CASE("report: a row whose impairment takes link time names its scaled reference") {
  matrix_options options;
  auto r = two_rows(options);
  r.cells[0].summary.capacity_share_min = 0.5965; // the first row's BBR cell
  r.cells[2].summary.capacity_share_min = 0.999;  // within rounding of the clean link
  const std::string md = to_markdown(r, options);
  CHECK(md.find("| reorder 3%, 20 ms | clean × 0.60 | ") != std::string::npos);
  CHECK(md.find("| loss 1%, 40 ms | clean | ") != std::string::npos);
  const auto json = nlohmann::json::parse(to_json(r, options));
  CHECK(json["cells"][0]["capacity_share_min"].get<double>() == doctest::Approx(0.5965));
  CHECK(json["cells"][0]["runs"][0].contains("reference_ratio"));
}
