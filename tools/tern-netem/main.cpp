// tern-netem: applies netem impairments in real time, one netem_link per
// direction (the same model the simulator uses), either as a UDP relay on
// loopback or (--tun) between two network namespaces joined through TUN
// devices, for any IP traffic. With --nat it plays a NAT instead
// (nat_cli.hpp).

#include "cli_exit.hpp"
#include "endpoint.hpp"
#include "link_pump.hpp"
#include "nat_cli.hpp"
#include "relay.hpp"
#include "tun_bridge.hpp"

#include "sim/netem_spec.hpp"
#include "sim/schedule.hpp"

#include <CLI/CLI.hpp>

#include <sched.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

namespace {

std::atomic<bool> stop_requested{false};

extern "C" void on_signal(int) { stop_requested.store(true); }

int usage_error(const std::string& message) { return tern::tools::usage_error("tern-netem", message); }

} // namespace

namespace sim = tern::sim;

int main(int argc, char** argv) {
  if (tern::netem::nat_mode_requested(argc, argv)) return tern::netem::nat_main(argc, argv);
  CLI::App app{"tern-netem: netem impairments (tc-netem(8) syntax), one spec per direction, applied by a UDP relay "
               "or (--tun) to every IP packet between two network namespaces; or (--nat) a NAT"};
  std::string listen, connect, up = "", down = "", schedule_file, rebind_after, run_for;
  bool stats_json = false, tun = false;
  tern::netem::tun_config tun_config;
  int realtime = 0;
  std::uint64_t seed = 1;
  auto* listen_opt =
      app.add_option("--listen", listen, "address clients send to, HOST:PORT (port 0: pick one; printed on start)");
  auto* connect_opt = app.add_option("--connect", connect, "server address every client is relayed to, HOST:PORT");
  auto* tun_opt = app.add_flag("--tun", tun,
                               "instead of relaying UDP, join two network namespaces through TUN devices "
                               "(198.18.0.1 in A, 198.18.0.2 in B; MTU 1500) and impair every IP packet "
                               "between them; needs root. Prints \"tun NS_A 198.18.0.1 NS_B 198.18.0.2\" when ready");
  tun_opt->excludes(listen_opt)->excludes(connect_opt);
  app.add_option("--ns-a", tun_config.ns_a, "with --tun: use this existing namespace as side A (default: create one)")
      ->needs(tun_opt);
  app.add_option("--ns-b", tun_config.ns_b, "with --tun: use this existing namespace as side B")->needs(tun_opt);
  app.add_option("--up", up,
                 "netem spec for client -> server (--tun: A -> B), e.g. \"delay 50ms 5ms loss 2%\"");
  app.add_option("--down", down, "netem spec for server -> client (--tun: B -> A)");
  app.add_option("--schedule", schedule_file,
                 "file of time-varying specs: \"at TIME [up|down]: SPEC\" per line or ';'-separated");
  app.add_option("--rebind-after", rebind_after,
                 "after this long (e.g. 10s), relay each client from a new source port (a NAT rebinding)");
  app.add_option("--duration", run_for, "exit after this long (default: run until SIGINT/SIGTERM)");
  app.add_option("--seed", seed, "seed of the impairment random generators (a spec's own `seed` wins)");
  app.add_flag("--stats-json", stats_json, "print statistics as JSON on stdout at exit");
  app.add_option("--realtime", realtime,
                 "run the scheduler thread as SCHED_FIFO with this priority (1-99; needs CAP_SYS_NICE), so "
                 "busy neighbours cannot delay due packets by a scheduler time slice")
      ->check(CLI::Range(1, 99));
  // Never parsed here: main() hands any command line with --nat to nat_main()
  // first. Declared so that --help shows the mode.
  std::string nat_filtering;
  app.add_option("--nat", nat_filtering,
                 "instead, play a NAT for one inside peer on loopback, with this filtering: apdf, adf or eif "
                 "(tern-netem --nat eif --help lists that mode's options)");
  TERN_PARSE_COMMAND_LINE(app, "tern-netem", argc, argv);
  if (!tun && (listen.empty() || connect.empty()))
    return usage_error("give --listen and --connect (the UDP relay), or --tun");

  sim::netem_spec up_spec, down_spec;
  for (auto [flag, text, out] : {std::tuple{"--up", &up, &up_spec}, std::tuple{"--down", &down, &down_spec}}) {
    auto spec = tern::sim::parse_netem_spec(*text);
    if (!spec) return usage_error(std::string{flag} + ": " + spec.error().message());
    *out = *spec;
  }
  sim::schedule schedule;
  if (!schedule_file.empty()) {
    std::ifstream in(schedule_file);
    if (!in) return usage_error("--schedule: cannot read \"" + schedule_file + "\"");
    std::stringstream text;
    text << in.rdbuf();
    auto sched = tern::sim::parse_schedule(text.str());
    if (!sched) return usage_error("--schedule " + schedule_file + ": " + sched.error().message());
    for (const auto& e : sched->entries)
      if (!e.target.empty() && e.target != "up" && e.target != "down")
        return usage_error("--schedule " + schedule_file + ": unknown direction \"" + e.target +
                           "\": expected up or down");
    schedule = std::move(*sched);
  }
  std::optional<tern::duration> rebind_every, run_duration;
  for (auto [flag, text, out] :
       {std::tuple{"--rebind-after", &rebind_after, &rebind_every}, std::tuple{"--duration", &run_for, &run_duration}}) {
    if (text->empty()) continue;
    const auto d = tern::sim::parse_time(*text);
    if (!d) return usage_error(std::string{flag} + ": bad time \"" + *text + "\": expected e.g. 10s or 500ms");
    *out = *d;
  }
  if (tun && rebind_every) return usage_error("--rebind-after applies to the UDP relay, not to --tun");

  // Signals are handled from here on, so a SIGINT during the setup of --tun
  // still ends in the cleanup below.
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<tern::netem::packet_ports> ports;
  std::string ready;
  if (tun) {
    auto bridge = std::make_unique<tern::netem::tun_bridge>(std::move(tun_config));
    if (const auto failed = bridge->open(); !failed.empty()) {
      bridge.reset(); // undo what was set up before reporting
      std::fprintf(stderr, "tern-netem: %s\n", failed.c_str());
      return 1;
    }
    ready = "tun " + bridge->ns_a() + " 198.18.0.1 " + bridge->ns_b() + " 198.18.0.2";
    ports = std::move(bridge);
  } else {
    tern::netem::relay_config config;
    const auto l = tern::netem::parse_endpoint(listen);
    if (!l) return usage_error("--listen: bad address \"" + listen + "\": expected HOST:PORT, e.g. 127.0.0.1:9000");
    const auto c = tern::netem::parse_endpoint(connect);
    if (!c) return usage_error("--connect: bad address \"" + connect + "\": expected HOST:PORT, e.g. 127.0.0.1:9001");
    if (c->port() == 0) return usage_error("--connect: bad address \"" + connect + "\": the port must not be 0");
    config.listen = *l;
    config.connect = *c;
    config.rebind_after = rebind_every;
    auto udp = std::make_unique<tern::netem::relay>(std::move(config));
    if (const auto ec = udp->open()) return usage_error("cannot listen on " + listen + ": " + ec.message());
    ready = "listening " + tern::netem::to_string(udp->listening());
    ports = std::move(udp);
  }

  if (realtime > 0) {
    sched_param param{};
    param.sched_priority = realtime;
    if (sched_setscheduler(0, SCHED_FIFO, &param) != 0)
      std::fprintf(stderr, "tern-netem: --realtime: %s; running with normal priority\n", std::strerror(errno));
  }

  tern::netem::link_pump pump(up_spec, down_spec, std::move(schedule), seed);
  std::printf("%s\n", ready.c_str());
  std::fflush(stdout);
  pump.run(*ports, stop_requested, run_duration);

  std::fputs(pump.stats_text(*ports).c_str(), stderr);
  if (stats_json) {
    std::printf("%s\n", pump.stats_json(*ports).c_str());
    std::fflush(stdout);
  }
  return 0;
}
