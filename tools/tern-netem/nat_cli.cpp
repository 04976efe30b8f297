#include "nat_cli.hpp"

#include "cli_exit.hpp"
#include "nat.hpp"

#include "sim/netem_spec.hpp"

#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <string_view>

namespace tern::netem {

namespace {

std::atomic<bool> nat_stop{false};

extern "C" void on_nat_signal(int) { nat_stop.store(true); }

int nat_usage_error(const std::string& message) {
  return tern::tools::usage_error("tern-netem", "--nat mode: " + message);
}

} // namespace

bool nat_mode_requested(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--nat" || a.substr(0, 6) == "--nat=") return true;
  }
  return false;
}

int nat_main(int argc, char** argv) {
  CLI::App app{"tern-netem --nat: one inside peer behind an endpoint-independent-mapping NAT, on loopback"};
  std::string filtering, outside = "127.0.0.1:0", alias_host = "127.0.0.1", timeout = "30s", run_for;
  std::vector<std::string> remotes;
  bool stats_json = false;
  app.add_option(
         "--nat", filtering,
         "filtering: apdf (address and port dependent), adf (address dependent), eif (endpoint independent)")
      ->required();
  app.add_option("--remote", remotes, "an outside address the inside peer can reach (repeatable)")
      ->required();
  app.add_option("--outside", outside, "the NAT's public address (port 0: pick one)")->capture_default_str();
  app.add_option("--alias-host", alias_host, "address of the inside aliases")->capture_default_str();
  app.add_option("--mapping-timeout", timeout, "a permission's lifetime without outbound traffic")
      ->capture_default_str();
  app.add_option("--duration", run_for, "exit after this long (default: run until SIGINT/SIGTERM)");
  app.add_flag("--stats-json", stats_json, "print statistics as JSON on stdout at exit");
  TERN_PARSE_COMMAND_LINE(app, "tern-netem", argc, argv);

  nat_config config;
  const auto f = parse_nat_filtering(filtering);
  if (!f) return nat_usage_error("unknown filtering \"" + filtering + "\": expected apdf, adf or eif");
  config.filtering = *f;
  const auto o = parse_endpoint(outside);
  if (!o) return nat_usage_error("--outside: bad address \"" + outside + "\": expected HOST:PORT");
  config.outside = *o;
  const auto a = parse_endpoint(alias_host + ":0");
  const auto a6 = parse_endpoint("[" + alias_host + "]:0");
  if (!a && !a6) return nat_usage_error("--alias-host: bad address \"" + alias_host + "\"");
  config.alias_host = a ? *a : *a6;
  for (const auto& r : remotes) {
    const auto e = parse_endpoint(r);
    if (!e || e->port() == 0)
      return nat_usage_error("--remote: bad address \"" + r + "\": expected HOST:PORT");
    if (e->family() != config.outside.family())
      return nat_usage_error("--remote " + r + ": not of the address family of --outside " + outside);
    config.remotes.push_back(*e);
  }
  const auto t = sim::parse_time(timeout);
  if (!t || *t <= duration::zero()) return nat_usage_error("--mapping-timeout: bad time \"" + timeout + "\"");
  config.mapping_timeout = *t;
  if (!run_for.empty()) {
    const auto d = sim::parse_time(run_for);
    if (!d) return nat_usage_error("--duration: bad time \"" + run_for + "\"");
    config.run_for = *d;
  }

  nat n(config);
  if (const auto ec = n.open()) return nat_usage_error("cannot bind: " + ec.message());

  struct sigaction sa {};
  sa.sa_handler = on_nat_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  std::printf("outside %s\n", to_string(n.outside()).c_str());
  for (std::size_t i = 0; i < config.remotes.size(); ++i)
    std::printf("remote %s via %s\n", to_string(config.remotes[i]).c_str(), to_string(n.alias(i)).c_str());
  std::printf("ready\n");
  std::fflush(stdout);
  n.run(nat_stop);

  std::fputs(n.stats_text().c_str(), stderr);
  if (stats_json) {
    std::printf("%s\n", n.stats_json().c_str());
    std::fflush(stdout);
  }
  return 0;
}

} // namespace tern::netem
