#pragma once
// One exit-status rule for every tern command-line tool (docs/building.md,
// "Command-line tools"):
//   --help                 help on stdout, exit 0
//   a usage error          one line "<tool>: <what is wrong>" on stderr, exit 2
//                          (an unknown option, a bad or missing value, a
//                          missing argument or subcommand)
// CLI11's own exit codes (105 to 115) and its two-line messages never reach
// the user: a script tells a usage error from a failed run by the status
// alone, and a person reads one line.

#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace tern::tools {

// The status of every usage error.
inline constexpr int usage_exit_status = 2;

// Prints "<tool>: <message>" as one line on stderr (a newline inside message
// becomes "; "). Returns usage_exit_status, so a caller writes
// `return usage_error(...)`.
inline int usage_error(std::string_view tool, std::string_view message) {
  std::string line;
  line.reserve(tool.size() + message.size() + 3);
  line.append(tool).append(": ");
  for (const char c : message) {
    if (c == '\n') {
      if (!line.ends_with("; ")) line.append("; ");
    } else {
      line.push_back(c);
    }
  }
  while (line.ends_with("; ") || line.ends_with(' ')) line.pop_back();
  std::fprintf(stderr, "%s\n", line.c_str());
  return usage_exit_status;
}

// Parses argv into app. Returns std::nullopt when the tool should go on;
// otherwise the status the tool should exit with: 0 after printing the help
// (of the selected subcommand, if any) on stdout for --help or --help-all,
// usage_exit_status after one line on stderr ending in a pointer to --help
// for any parse or validation error.
inline std::optional<int> parse_command_line(CLI::App& app, std::string_view tool, int argc,
                                             const char* const* argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    if (message.empty()) message = e.get_name();
    message += " (run ";
    message.append(tool.substr(0, tool.find(' ')));
    message += " --help)";
    return usage_error(tool, message);
  }
  return std::nullopt;
}

} // namespace tern::tools

// In main(): returns from it when the command line says to exit (help or a
// usage error), in place of CLI11_PARSE.
#define TERN_PARSE_COMMAND_LINE(app, tool, argc, argv)                                                       \
  if (const auto tern_cli_exit_ = ::tern::tools::parse_command_line((app), (tool), (argc), (argv)))          \
  return *tern_cli_exit_
