// tern-bench-loopback: prints, as one JSON object, the raw UDP ceiling of this
// machine on loopback (plain, sendmmsg, GSO+GRO) and tern's encrypted
// single-connection single-stream goodput next to it.
//
//   tern-bench-loopback [--duration-ms N] [--sizes 1200,1452]
//                       [--modes plain,sendmmsg,gso] [--batch N]
//                       [--buffer BYTES] [--ipv6] [--no-ceiling]
//                       [--tern-gso 0|1] [--tern-gro 0|1] [--tern-max-datagram N]
//                       [--tern-pacing 0|1] [--tern-cc bbr|cubic|new_reno]
//                       [--trials N]
//
// --no-ceiling measures tern alone; the --tern-* options set tern::config on
// both endpoints, to see what GSO, GRO and path MTU discovery are worth.
//
// --trials N (default 5) repeats every measurement N times, the ceiling and
// tern interleaved (trials.hpp). Each ceiling mode reports its best trial;
// tern reports its median trial; ratio_to_sendmmsg is the median of the
// per-trial ratios (tern over the sendmmsg ceiling of the same trial). Every
// trial's figures are printed too.

#include "tern_goodput.hpp"
#include "trials.hpp"
#include "udp_ceiling.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <sys/utsname.h>
#include <thread>

namespace {

using tern::bench::ceiling_config;
using tern::bench::ceiling_result;
using tern::bench::trial;
using tern::bench::udp_mode;

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t comma = s.find(',', start);
    const std::size_t end = comma == std::string::npos ? s.size() : comma;
    if (end > start) out.push_back(s.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "tern-bench-loopback: %s\n"
               "usage: tern-bench-loopback [--duration-ms N] [--sizes 1200,1452] "
               "[--modes plain,sendmmsg,gso] [--batch N] [--buffer BYTES] [--ipv6] [--no-ceiling]\n"
               "       [--tern-gso 0|1] [--tern-gro 0|1] [--tern-max-datagram N] [--tern-pacing 0|1]\n"
               "       [--tern-cc bbr|cubic|new_reno] [--trials N]\n",
               why);
  std::exit(2);
}

double ratio(double a, double b) { return b > 0 ? a / b : 0; }

// The decimals each figure has always been printed with: more would be
// noise in the committed results (bench/results) and in the table.
double fixed(double v, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(v * scale) / scale;
}

std::vector<double> fixed(std::vector<double> values, int decimals) {
  for (double& v : values) v = fixed(v, decimals);
  return values;
}

nlohmann::ordered_json ceiling_json(const ceiling_result& r, std::size_t size,
                                    const std::vector<double>& trials_bps) {
  const double s = r.seconds > 0 ? r.seconds : 1;
  const double loss =
      r.sent_datagrams ? 1.0 - static_cast<double>(r.received_datagrams) / static_cast<double>(r.sent_datagrams) : 0;
  const double cpu = r.tx_cpu.user_s + r.tx_cpu.sys_s + r.rx_cpu.user_s + r.rx_cpu.sys_s;
  nlohmann::ordered_json out = {
      {"bps", fixed(static_cast<double>(r.received_bytes) * 8 / s, 0)},
      {"trials_bps", fixed(trials_bps, 0)},
      {"pps", fixed(static_cast<double>(r.received_datagrams) / s, 0)},
      {"datagram_size", size},
      {"seconds", fixed(r.seconds, 3)},
      {"sent_datagrams", r.sent_datagrams},
      {"received_datagrams", r.received_datagrams},
      {"received_bytes", r.received_bytes},
      {"receiver_drop_fraction", fixed(loss, 4)},
      {"tx_syscalls", r.tx_syscalls},
      {"rx_syscalls", r.rx_syscalls},
      {"gso", r.gso_used},
      {"gro", r.gro_used},
      {"tx_cpu_s", {{"user", fixed(r.tx_cpu.user_s, 3)}, {"sys", fixed(r.tx_cpu.sys_s, 3)}}},
      {"rx_cpu_s", {{"user", fixed(r.rx_cpu.user_s, 3)}, {"sys", fixed(r.rx_cpu.sys_s, 3)}}},
      {"cpu_ns_per_received_byte",
       fixed(r.received_bytes ? cpu * 1e9 / static_cast<double>(r.received_bytes) : 0, 3)},
  };
  if (!r.error.empty()) out["error"] = r.error;
  return out;
}

} // namespace

int main(int argc, char** argv) {
  ceiling_config base;
  std::size_t trials = 5;
  std::vector<std::size_t> sizes{1200, 1452};
  std::vector<udp_mode> modes{udp_mode::plain, udp_mode::sendmmsg, udp_mode::gso};
  tern::bench::goodput_config gc;
  const auto flag = [&](const std::string& v) {
    if (v != "0" && v != "1") usage("expected 0 or 1");
    return v == "1";
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--duration-ms") {
      base.duration = std::chrono::milliseconds(std::strtoll(value().c_str(), nullptr, 10));
    } else if (a == "--sizes") {
      sizes.clear();
      for (auto& s : split(value())) {
        const auto n = std::strtoull(s.c_str(), nullptr, 10);
        if (n == 0 || n > 65507) usage("datagram sizes must be 1..65507");
        sizes.push_back(n);
      }
    } else if (a == "--modes") {
      modes.clear();
      for (auto& m : split(value())) {
        if (m == "plain") modes.push_back(udp_mode::plain);
        else if (m == "sendmmsg") modes.push_back(udp_mode::sendmmsg);
        else if (m == "gso") modes.push_back(udp_mode::gso);
        else usage(("unknown mode " + m).c_str());
      }
    } else if (a == "--batch") {
      base.batch = std::strtoull(value().c_str(), nullptr, 10);
    } else if (a == "--buffer") {
      base.socket_buffer = std::strtoull(value().c_str(), nullptr, 10);
    } else if (a == "--ipv6") {
      base.ipv6 = true;
    } else if (a == "--trials") {
      trials = std::strtoull(value().c_str(), nullptr, 10);
      if (trials == 0 || trials > 100) usage("--trials must be 1..100");
    } else if (a == "--no-ceiling") {
      modes.clear();
    } else if (a == "--tern-gso") {
      gc.gso = flag(value());
    } else if (a == "--tern-gro") {
      gc.gro = flag(value());
    } else if (a == "--tern-pacing") {
      gc.pacing = flag(value());
    } else if (a == "--tern-cc") {
      gc.congestion = value();
      if (gc.congestion != "bbr" && gc.congestion != "cubic" && gc.congestion != "new_reno")
        usage("--tern-cc must be bbr, cubic or new_reno");
    } else if (a == "--tern-max-datagram") {
      gc.max_datagram_size = std::strtoull(value().c_str(), nullptr, 10);
      if (gc.max_datagram_size < 1200 || gc.max_datagram_size > 65000) usage("--tern-max-datagram must be 1200..65000");
    } else {
      usage(("unknown argument " + a).c_str());
    }
  }
  if (sizes.empty() || base.batch == 0) usage("nothing to measure");

  // Every measurement first, so the JSON goes out in one piece.
  const std::vector<trial> runs = tern::bench::run_trials({base, sizes, modes, gc, trials});
  using tern::bench::bits_per_second;
  const std::size_t primary = sizes.front();
  // A ceiling reports its best trial: it is the least disturbed one, and the
  // highest figure is the honest ceiling.
  const auto best = [&](std::size_t size, udp_mode m) -> const ceiling_result& {
    return runs[tern::bench::best_ceiling_trial(runs, size, m)].ceiling.at(size).at(m);
  };
  const auto bps = [&](std::size_t size, udp_mode m) -> double {
    if (!tern::bench::find_ceiling(runs.front(), size, m)) return 0;
    return bits_per_second(best(size, m));
  };
  const auto ceiling_trials = [&](std::size_t size, udp_mode m) {
    std::vector<double> v;
    for (const auto& t : runs) v.push_back(bits_per_second(t.ceiling.at(size).at(m)));
    return v;
  };
  const auto paired = [&](udp_mode m) {
    std::vector<double> v;
    for (const auto& t : runs) v.push_back(tern::bench::paired_ratio(t, primary, m));
    return v;
  };
  std::vector<double> tern_trials;
  for (const auto& t : runs) tern_trials.push_back(bits_per_second(t.tern));
  const trial& mid = runs[tern::bench::median_tern_trial(runs)];
  const tern::bench::goodput_result& g = mid.tern;

  utsname u{};
  uname(&u);
  double load = 0;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = 0;
    std::fclose(f);
  }

  nlohmann::ordered_json out;
  out["tool"] = "tern-bench-loopback";
  out["kernel"] = std::string(u.sysname) + " " + u.release;
  out["cpus"] = std::thread::hardware_concurrency();
  out["loadavg_1m_after"] = fixed(load, 2);
  out["address_family"] = base.ipv6 ? "ipv6" : "ipv4";
  out["duration_s"] = fixed(std::chrono::duration<double>(base.duration).count(), 3);
  out["trials"] = runs.size();
  out["send_batch"] = base.batch;
  out["socket_buffer_request"] = base.socket_buffer;
  out["primary_datagram_size"] = primary;
  auto& ceilings = out["udp_ceiling"] = nlohmann::ordered_json::object();
  for (const std::size_t size : sizes)
    for (const udp_mode m : modes)
      ceilings[std::to_string(size)][tern::bench::to_string(m)] =
          ceiling_json(best(size, m), size, ceiling_trials(size, m));
  const double mmsg = bps(primary, udp_mode::sendmmsg);
  const std::size_t tern_basis = tern::bench::ratio_basis(mid, primary);
  out["plain_bps"] = fixed(bps(primary, udp_mode::plain), 0);
  out["sendmmsg_bps"] = fixed(mmsg, 0);
  out["gso_bps"] = fixed(bps(primary, udp_mode::gso), 0);
  out["ratio_plain_to_sendmmsg"] = fixed(ratio(bps(primary, udp_mode::plain), mmsg), 3);
  out["ratio_gso_to_sendmmsg"] = fixed(ratio(bps(primary, udp_mode::gso), mmsg), 3);
  // tern: one encrypted connection, one stream, client and server threads.
  const double tern_cpu = g.client_cpu_s + g.server_cpu_s;
  nlohmann::ordered_json tern = {
      {"config",
       {{"gso", gc.gso},
        {"gro", gc.gro},
        {"pacing", gc.pacing},
        {"congestion", gc.congestion},
        {"max_datagram_size", gc.max_datagram_size}}},
      {"trials_bps", fixed(tern_trials, 0)},
      {"goodput_bytes", g.bytes},
      {"seconds", fixed(g.seconds, 3)},
      {"datagram_size", g.datagram_size},
      {"mtu_probes_sent", g.mtu_probes_sent},
      {"packets_sent", g.packets_sent},
      {"packets_lost", g.packets_lost},
      {"server_packets_sent", g.server_packets_sent},
      {"send_syscalls", g.send_syscalls},
      {"datagrams_per_send_syscall",
       fixed(g.send_syscalls ? static_cast<double>(g.datagrams_sent) / static_cast<double>(g.send_syscalls)
                             : 0,
             1)},
      {"gso", g.gso},
      {"gro", g.gro},
      {"srtt_us", g.srtt_us},
      {"min_rtt_us", g.min_rtt_us},
      {"pacing_rate_bps", g.pacing_rate_bps},
      {"delivery_rate_bps", g.delivery_rate_bps},
      {"cwnd", g.cwnd},
      {"client_cpu_s", fixed(g.client_cpu_s, 3)},
      {"server_cpu_s", fixed(g.server_cpu_s, 3)},
      {"cpu_ns_per_goodput_byte", fixed(g.bytes ? tern_cpu * 1e9 / static_cast<double>(g.bytes) : 0, 3)},
  };
  if (!g.error.empty()) tern["error"] = g.error;
  out["tern"] = std::move(tern);
  out["tern_goodput_bps"] = fixed(bits_per_second(g), 0);
  out["ratio_basis_datagram_size"] = tern_basis;
  // The headline ratio pairs each tern trial with the ceiling measured next
  // to it; the conservative one sets tern's median against the best ceiling
  // of all trials.
  const std::vector<double> to_mmsg = paired(udp_mode::sendmmsg);
  out["ratio_to_sendmmsg_trials"] = fixed(to_mmsg, 3);
  out["ratio_to_sendmmsg"] = fixed(tern::bench::median(to_mmsg), 3);
  out["ratio_median_tern_to_best_sendmmsg"] =
      fixed(ratio(tern::bench::median(tern_trials), bps(tern_basis, udp_mode::sendmmsg)), 3);
  out["ratio_to_gso"] = fixed(tern::bench::median(paired(udp_mode::gso)), 3);
  std::printf("%s\n", out.dump(2).c_str());
  bool failed = false;
  for (const auto& t : runs) {
    for (auto& [size, by_mode] : t.ceiling)
      for (auto& [mode, r] : by_mode) failed |= !r.error.empty();
    failed |= !t.tern.error.empty();
  }
  return failed ? 1 : 0;
}
