#include "matrix_report.hpp"

#include "json_text.hpp"

#include <cstdio>
#include <map>

namespace tern::matrix {
namespace {

std::string fixed(const char* format, double v) {
  char text[48];
  std::snprintf(text, sizeof text, format, v);
  return text;
}

// "0.96 (0.91)": the median over seeds, the worst seed in brackets.
std::string median_min(double median, double min) {
  return fixed("%.2f", median) + " (" + fixed("%.2f", min) + ")";
}

std::string controller_name(cc::algorithm a) {
  switch (a) {
  case cc::algorithm::bbr:
    return "BBR";
  case cc::algorithm::cubic:
    return "CUBIC";
  case cc::algorithm::new_reno:
    return "NewReno";
  }
  return std::string{cc::to_string(a)};
}

// "link", "clean", or "clean × 0.57" when the impairment takes link time
// away (reference_ratio's capacity share; the least over the seeds).
std::string reference_label(reference judged_against, double capacity_share) {
  if (judged_against == reference::link) return "link";
  return capacity_share < 0.995 ? "clean × " + fixed("%.2f", capacity_share) : "clean";
}

} // namespace

std::size_t failed_cells(const matrix_result& result) {
  std::size_t n = 0;
  for (const auto& c : result.cells) n += c.judged && !c.floor_verdict.pass;
  return n;
}

std::string to_markdown(const matrix_result& result, const matrix_options& options) {
  std::string out;
  if (options.controllers.empty()) return out;
  const std::string judged = controller_name(options.controllers.front());
  out += "| row | ref | " + judged + " link | " + judged + " vs clean | " + judged + " drops | " + judged +
         " Jain | floors |";
  for (std::size_t c = 1; c < options.controllers.size(); ++c) {
    const std::string name = controller_name(options.controllers[c]);
    out += " " + name + " link | " + name + " vs clean |";
  }
  out += "\n|---|---|---|---|---|---|---|";
  for (std::size_t c = 1; c < options.controllers.size(); ++c) out += "---|---|";
  out += "\n";

  // Cells come row by row, the controllers of a row in options' order.
  const std::size_t per_row = options.controllers.size();
  std::vector<const cell_result*> failing;
  for (std::size_t i = 0; i + per_row <= result.cells.size(); i += per_row) {
    const cell_result& first = result.cells[i];
    const auto& s = first.summary;
    out += "| " + first.row.name + " | " + reference_label(first.row.judged_against, s.capacity_share_min) +
           " | " + median_min(s.link_ratio_median, s.link_ratio_min) + " | " +
           median_min(s.baseline_ratio_median, s.baseline_ratio_min) + " | " +
           fixed("%.2f%%", s.drop_fraction_max * 100) + (first.row.competitors > 0 ? "*" : "") + " | " +
           (first.row.flows > 1 ? fixed("%.3f", s.jain_min) : std::string{"–"}) + " | " +
           (first.floor_verdict.pass ? "PASS" : "**FAIL**") + " |";
    if (!first.floor_verdict.pass) failing.push_back(&first);
    for (std::size_t c = 1; c < per_row; ++c) {
      const auto& o = result.cells[i + c].summary;
      out += " " + fixed("%.2f", o.link_ratio_median) + " | " + fixed("%.2f", o.baseline_ratio_median) + " |";
    }
    out += "\n";
  }
  out += "\n" + std::to_string(failing.size()) + " of " + std::to_string(result.cells.size() / per_row) +
         " " + judged + " cells miss a floor";
  out += failing.empty() ? ".\n" : ":\n\n";
  for (const auto* cell : failing) {
    out += "- " + cell->row.name + ":";
    for (std::size_t k = 0; k < cell->floor_verdict.failures.size(); ++k)
      out += (k ? "; " : " ") + cell->floor_verdict.failures[k];
    out += "\n";
  }
  return out;
}

std::string to_json(const matrix_result& result, const matrix_options& options) {
  using nlohmann::ordered_json;
  using sim_json::six_digits;
  ordered_json o;
  auto& controllers = o["controllers"] = ordered_json::array();
  for (const auto a : options.controllers) controllers.push_back(cc::to_string(a));
  auto& seeds = o["seeds"] = ordered_json::array();
  for (std::size_t s = 0; s < options.seeds; ++s) seeds.push_back(options.first_seed + s);
  const floors f;
  o["floors"] = {{"goodput_vs_reference", f.goodput_vs_reference},
                 {"goodput_worst", f.goodput_worst},
                 {"self_drop_fraction", f.self_drop_fraction},
                 {"jain", f.jain}};
  if (!result.error.empty()) o["error"] = result.error;
  o["failed_cells"] = failed_cells(result);
  o["scenarios_run"] = result.scenarios_run;
  o["wall_time_s"] = six_digits(result.wall_seconds);
  auto& cells = o["cells"] = ordered_json::array();
  for (const auto& c : result.cells) {
    ordered_json cell;
    cell["group"] = c.row.group;
    cell["row"] = c.row.name;
    cell["cc"] = cc::to_string(c.algorithm);
    cell["link"] = c.link;
    cell["down"] = c.down;
    if (!c.schedule.empty()) cell["schedule"] = c.schedule;
    cell["flows"] = c.row.flows;
    cell["competitors"] = c.row.competitors;
    cell["bytes_per_flow"] = c.row.bytes;
    cell["judged_against"] = c.row.judged_against == reference::link ? "link" : "unimpaired_cell";
    const auto& s = c.summary;
    cell["link_ratio_median"] = six_digits(s.link_ratio_median);
    cell["link_ratio_min"] = six_digits(s.link_ratio_min);
    cell["baseline_ratio_median"] = six_digits(s.baseline_ratio_median);
    cell["baseline_ratio_min"] = six_digits(s.baseline_ratio_min);
    cell["drop_fraction_max"] = six_digits(s.drop_fraction_max);
    if (c.row.flows > 1) cell["jain_min"] = six_digits(s.jain_min);
    cell["mean_queue_delay_ms_median"] = six_digits(s.mean_queue_delay_ms_median);
    cell["capacity_share_min"] = six_digits(s.capacity_share_min);
    cell["all_completed"] = s.all_completed;
    if (c.judged) {
      cell["pass"] = c.floor_verdict.pass;
      cell["failures"] = c.floor_verdict.failures;
    }
    auto& runs = cell["runs"] = ordered_json::array();
    for (const auto& r : c.runs)
      runs.push_back({{"seed", r.seed},
                      {"completed", r.cell.completed},
                      {"goodput_per_flow_bps", six_digits(r.cell.goodput_per_flow_bps)},
                      {"baseline_goodput_per_flow_bps", six_digits(r.baseline.goodput_per_flow_bps)},
                      {"link_ratio", six_digits(r.cell.link_ratio)},
                      {"baseline_ratio", six_digits(r.baseline_ratio)},
                      {"capacity_share", six_digits(r.capacity_share)},
                      {"reference_ratio", six_digits(r.reference_ratio)},
                      {"drop_fraction", six_digits(r.cell.drop_fraction)},
                      {"jain", six_digits(r.cell.jain)},
                      {"mean_queue_delay_ms", six_digits(r.cell.mean_queue_delay_ms)}});
    cells.push_back(std::move(cell));
  }
  return sim_json::dump(o);
}

} // namespace tern::matrix
