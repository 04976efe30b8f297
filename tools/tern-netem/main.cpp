// tern-netem: a UDP relay on loopback that applies netem impairments in
// real time, one netem_link per direction (the same model the simulator
// uses). With --nat it plays a NAT instead (nat_cli.hpp).

#include "endpoint.hpp"
#include "nat_cli.hpp"
#include "relay.hpp"

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
#include <sstream>

namespace {

std::atomic<bool> stop_requested{false};

extern "C" void on_signal(int) { stop_requested.store(true); }

int usage_error(const std::string& message) {
  std::fprintf(stderr, "tern-netem: %s\n", message.c_str());
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  if (tern::netem::nat_mode_requested(argc, argv)) return tern::netem::nat_main(argc, argv);
  CLI::App app{"tern-netem: a UDP relay applying netem impairments (tc-netem(8) syntax), one spec per direction"};
  std::string listen, connect, up = "", down = "", schedule_file, rebind_after, run_for;
  bool stats_json = false;
  int realtime = 0;
  std::uint64_t seed = 1;
  app.add_option("--listen", listen, "address clients send to, HOST:PORT (port 0: pick one; printed on start)")
      ->required();
  app.add_option("--connect", connect, "server address every client is relayed to, HOST:PORT")->required();
  app.add_option("--up", up, "netem spec for client -> server, e.g. \"delay 50ms 5ms loss 2%\"");
  app.add_option("--down", down, "netem spec for server -> client");
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
  CLI11_PARSE(app, argc, argv);

  tern::netem::relay_config config;
  const auto l = tern::netem::parse_endpoint(listen);
  if (!l) return usage_error("--listen: bad address \"" + listen + "\": expected HOST:PORT, e.g. 127.0.0.1:9000");
  const auto c = tern::netem::parse_endpoint(connect);
  if (!c) return usage_error("--connect: bad address \"" + connect + "\": expected HOST:PORT, e.g. 127.0.0.1:9001");
  if (c->port() == 0) return usage_error("--connect: bad address \"" + connect + "\": the port must not be 0");
  config.listen = *l;
  config.connect = *c;
  for (auto [flag, text, out] : {std::tuple{"--up", &up, &config.up}, std::tuple{"--down", &down, &config.down}}) {
    auto spec = tern::sim::parse_netem_spec(*text);
    if (!spec) return usage_error(std::string{flag} + ": " + spec.error().message());
    *out = *spec;
  }
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
    config.schedule = std::move(*sched);
  }
  for (auto [flag, text, out] : {std::tuple{"--rebind-after", &rebind_after, &config.rebind_after},
                                 std::tuple{"--duration", &run_for, &config.run_for}}) {
    if (text->empty()) continue;
    const auto d = tern::sim::parse_time(*text);
    if (!d) return usage_error(std::string{flag} + ": bad time \"" + *text + "\": expected e.g. 10s or 500ms");
    *out = *d;
  }
  config.seed = seed;

  tern::netem::relay relay(std::move(config));
  if (const auto ec = relay.open())
    return usage_error("cannot listen on " + listen + ": " + ec.message());

  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  if (realtime > 0) {
    sched_param param{};
    param.sched_priority = realtime;
    if (sched_setscheduler(0, SCHED_FIFO, &param) != 0)
      std::fprintf(stderr, "tern-netem: --realtime: %s; running with normal priority\n", std::strerror(errno));
  }

  std::printf("listening %s\n", tern::netem::to_string(relay.listening()).c_str());
  std::fflush(stdout);
  relay.run(stop_requested);

  std::fputs(relay.stats_text().c_str(), stderr);
  if (stats_json) {
    std::printf("%s\n", relay.stats_json().c_str());
    std::fflush(stdout);
  }
  return 0;
}
