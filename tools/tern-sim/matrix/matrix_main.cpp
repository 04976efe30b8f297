// tern-sim matrix: the path-condition matrix of docs/congestion.md ("The
// path-condition matrix"), in virtual time.
//
//   tern-sim matrix [--seeds 3] [--seed 1] [--cc bbr,cubic,newreno]
//                   [--only TEXT] [--json] [--json-file FILE] [--check] [--list]
//                   [--progress]

#include "matrix_main.hpp"

#include "algorithm_list.hpp"
#include "cell_config.hpp"
#include "cli_exit.hpp"
#include "matrix_report.hpp"
#include "matrix_runner.hpp"
#include "path_rows.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

namespace tern::matrix {

int matrix_main(int argc, char** argv) {
  CLI::App app{"tern-sim matrix: tern's congestion control across path conditions, in virtual time"};
  matrix_options options;
  std::string controllers = "bbr,cubic,newreno", only;
  bool json = false, check = false, list = false, progress = false;
  app.add_option("--seeds", options.seeds, "seeds per cell")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--seed", options.first_seed, "the first seed (the others follow it)")
      ->capture_default_str();
  app.add_option("--cc", controllers, "controllers, the first judged against the floors")
      ->capture_default_str();
  app.add_option("--only", only, "rows whose group or name contains TEXT, e.g. reorder or \"100 ms\"");
  app.add_flag("--json", json, "print JSON instead of the Markdown table");
  std::string json_file;
  app.add_option("--json-file", json_file, "also write the JSON to FILE (the table still goes to stdout)");
  app.add_flag("--check", check, "exit 1 when a cell of the first controller misses a floor");
  app.add_flag("--list", list, "print the rows and their netem specs, run nothing");
  app.add_flag("--progress", progress, "print each cell on stderr as it starts");
  TERN_PARSE_COMMAND_LINE(app, "tern-sim matrix", argc, argv);

  options.controllers.clear();
  if (!bulk::parse_algorithm_list(controllers, options.controllers))
    return tools::usage_error("tern-sim matrix", "bad --cc '" + controllers +
                                                     "' (a comma-separated list of bbr, cubic, newreno)");
  const auto all = standard_rows();
  const auto rows = select_rows(all, only);
  if (rows.empty())
    return tools::usage_error("tern-sim matrix", "--only '" + only + "' matches no row (see --list)");

  if (list) {
    for (const auto& r : rows) {
      std::cout << r.group << " | " << r.name << " | --link \"" << up_spec(r, r.path.rate_bps)
                << "\" --down \"" << down_spec(r) << "\"";
      if (!r.phases.empty()) std::cout << " --schedule \"" << schedule_text(r) << "\"";
      if (r.flows + r.competitors > 1)
        std::cout << " --flows " << r.flows + r.competitors << " --fairness-warmup "
                  << std::chrono::duration_cast<std::chrono::seconds>(fairness_warmup).count() << "s";
      if (r.competitors > 0) {
        // CC stands for the controller under test.
        std::string flow_cc;
        for (std::size_t i = 0; i < r.flows + r.competitors; ++i)
          flow_cc += (i ? "," : "") + std::string{i < r.flows ? "CC" : "cubic"};
        std::cout << " --flow-cc " << flow_cc;
      }
      std::cout << " --bytes " << r.bytes << "\n";
    }
    return 0;
  }
  if (progress)
    options.on_cell = [](const std::string& cell) {
      std::fprintf(stderr, "tern-sim matrix: %s\n", cell.c_str());
    };

  const auto result = run_matrix(rows, options);
  if (!result.error.empty()) return tools::usage_error("tern-sim matrix", result.error);
  if (!json_file.empty()) {
    std::ofstream file(json_file);
    file << to_json(result, options) << "\n";
    if (!file.flush())
      return tools::usage_error("tern-sim matrix", "--json-file: cannot write '" + json_file + "'");
  }
  std::cout << (json ? to_json(result, options) + "\n" : to_markdown(result, options));
  return check && failed_cells(result) > 0 ? 1 : 0;
}

} // namespace tern::matrix
