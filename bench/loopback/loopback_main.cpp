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

void print_list(const std::vector<double>& values, const char* format) {
  std::printf("[");
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) std::printf(", ");
    std::printf(format, values[i]);
  }
  std::printf("]");
}

void print_result(const ceiling_result& r, std::size_t size, const std::vector<double>& trials_bps,
                  bool last) {
  const double s = r.seconds > 0 ? r.seconds : 1;
  const double bps = static_cast<double>(r.received_bytes) * 8 / s;
  const double pps = static_cast<double>(r.received_datagrams) / s;
  const double loss =
      r.sent_datagrams ? 1.0 - static_cast<double>(r.received_datagrams) / static_cast<double>(r.sent_datagrams) : 0;
  const double cpu = r.tx_cpu.user_s + r.tx_cpu.sys_s + r.rx_cpu.user_s + r.rx_cpu.sys_s;
  const double ns_per_byte = r.received_bytes ? cpu * 1e9 / static_cast<double>(r.received_bytes) : 0;
  std::printf("        \"bps\": %.0f,\n", bps);
  std::printf("        \"trials_bps\": ");
  print_list(trials_bps, "%.0f");
  std::printf(",\n");
  std::printf("        \"pps\": %.0f,\n", pps);
  std::printf("        \"datagram_size\": %zu,\n", size);
  std::printf("        \"seconds\": %.3f,\n", r.seconds);
  std::printf("        \"sent_datagrams\": %llu,\n", static_cast<unsigned long long>(r.sent_datagrams));
  std::printf("        \"received_datagrams\": %llu,\n", static_cast<unsigned long long>(r.received_datagrams));
  std::printf("        \"received_bytes\": %llu,\n", static_cast<unsigned long long>(r.received_bytes));
  std::printf("        \"receiver_drop_fraction\": %.4f,\n", loss);
  std::printf("        \"tx_syscalls\": %llu,\n", static_cast<unsigned long long>(r.tx_syscalls));
  std::printf("        \"rx_syscalls\": %llu,\n", static_cast<unsigned long long>(r.rx_syscalls));
  std::printf("        \"gso\": %s,\n", r.gso_used ? "true" : "false");
  std::printf("        \"gro\": %s,\n", r.gro_used ? "true" : "false");
  std::printf("        \"tx_cpu_s\": {\"user\": %.3f, \"sys\": %.3f},\n", r.tx_cpu.user_s, r.tx_cpu.sys_s);
  std::printf("        \"rx_cpu_s\": {\"user\": %.3f, \"sys\": %.3f},\n", r.rx_cpu.user_s, r.rx_cpu.sys_s);
  std::printf("        \"cpu_ns_per_received_byte\": %.3f%s\n", ns_per_byte, r.error.empty() ? "" : ",");
  if (!r.error.empty()) std::printf("        \"error\": \"%s\"\n", r.error.c_str());
  std::printf("      }%s\n", last ? "" : ",");
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

  std::printf("{\n");
  std::printf("  \"tool\": \"tern-bench-loopback\",\n");
  std::printf("  \"kernel\": \"%s %s\",\n", u.sysname, u.release);
  std::printf("  \"cpus\": %u,\n", std::thread::hardware_concurrency());
  std::printf("  \"loadavg_1m_after\": %.2f,\n", load);
  std::printf("  \"address_family\": \"%s\",\n", base.ipv6 ? "ipv6" : "ipv4");
  std::printf("  \"duration_s\": %.3f,\n", std::chrono::duration<double>(base.duration).count());
  std::printf("  \"trials\": %zu,\n", runs.size());
  std::printf("  \"send_batch\": %zu,\n", base.batch);
  std::printf("  \"socket_buffer_request\": %zu,\n", base.socket_buffer);
  std::printf("  \"primary_datagram_size\": %zu,\n", primary);
  std::printf("  \"udp_ceiling\": {\n");
  for (std::size_t si = 0; si < sizes.size(); ++si) {
    std::printf("    \"%zu\": {\n", sizes[si]);
    for (std::size_t mi = 0; mi < modes.size(); ++mi) {
      std::printf("      \"%s\": {\n", tern::bench::to_string(modes[mi]));
      print_result(best(sizes[si], modes[mi]), sizes[si], ceiling_trials(sizes[si], modes[mi]),
                   mi + 1 == modes.size());
    }
    std::printf("    }%s\n", si + 1 == sizes.size() ? "" : ",");
  }
  std::printf("  },\n");
  const double mmsg = bps(primary, udp_mode::sendmmsg);
  const std::size_t tern_basis = tern::bench::ratio_basis(mid, primary);
  std::printf("  \"plain_bps\": %.0f,\n", bps(primary, udp_mode::plain));
  std::printf("  \"sendmmsg_bps\": %.0f,\n", mmsg);
  std::printf("  \"gso_bps\": %.0f,\n", bps(primary, udp_mode::gso));
  std::printf("  \"ratio_plain_to_sendmmsg\": %.3f,\n", ratio(bps(primary, udp_mode::plain), mmsg));
  std::printf("  \"ratio_gso_to_sendmmsg\": %.3f,\n", ratio(bps(primary, udp_mode::gso), mmsg));
  // tern: one encrypted connection, one stream, client and server threads.
  const double tern_bps = bits_per_second(g);
  const double tern_cpu = g.client_cpu_s + g.server_cpu_s;
  std::printf("  \"tern\": {\n");
  std::printf("    \"config\": {\"gso\": %s, \"gro\": %s, \"pacing\": %s, \"congestion\": \"%s\", "
              "\"max_datagram_size\": %zu},\n",
              gc.gso ? "true" : "false", gc.gro ? "true" : "false", gc.pacing ? "true" : "false",
              gc.congestion.c_str(), gc.max_datagram_size);
  std::printf("    \"trials_bps\": ");
  print_list(tern_trials, "%.0f");
  std::printf(",\n");
  std::printf("    \"goodput_bytes\": %llu,\n", static_cast<unsigned long long>(g.bytes));
  std::printf("    \"seconds\": %.3f,\n", g.seconds);
  std::printf("    \"datagram_size\": %zu,\n", g.datagram_size);
  std::printf("    \"mtu_probes_sent\": %llu,\n", static_cast<unsigned long long>(g.mtu_probes_sent));
  std::printf("    \"packets_sent\": %llu,\n", static_cast<unsigned long long>(g.packets_sent));
  std::printf("    \"packets_lost\": %llu,\n", static_cast<unsigned long long>(g.packets_lost));
  std::printf("    \"server_packets_sent\": %llu,\n", static_cast<unsigned long long>(g.server_packets_sent));
  std::printf("    \"send_syscalls\": %llu,\n", static_cast<unsigned long long>(g.send_syscalls));
  std::printf("    \"datagrams_per_send_syscall\": %.1f,\n",
              g.send_syscalls ? static_cast<double>(g.datagrams_sent) / static_cast<double>(g.send_syscalls) : 0);
  std::printf("    \"gso\": %s,\n", g.gso ? "true" : "false");
  std::printf("    \"gro\": %s,\n", g.gro ? "true" : "false");
  std::printf("    \"srtt_us\": %llu,\n", static_cast<unsigned long long>(g.srtt_us));
  std::printf("    \"min_rtt_us\": %llu,\n", static_cast<unsigned long long>(g.min_rtt_us));
  std::printf("    \"pacing_rate_bps\": %llu,\n", static_cast<unsigned long long>(g.pacing_rate_bps));
  std::printf("    \"delivery_rate_bps\": %llu,\n", static_cast<unsigned long long>(g.delivery_rate_bps));
  std::printf("    \"cwnd\": %llu,\n", static_cast<unsigned long long>(g.cwnd));
  std::printf("    \"client_cpu_s\": %.3f,\n", g.client_cpu_s);
  std::printf("    \"server_cpu_s\": %.3f,\n", g.server_cpu_s);
  std::printf("    \"cpu_ns_per_goodput_byte\": %.3f%s\n",
              g.bytes ? tern_cpu * 1e9 / static_cast<double>(g.bytes) : 0, g.error.empty() ? "" : ",");
  if (!g.error.empty()) std::printf("    \"error\": \"%s\"\n", g.error.c_str());
  std::printf("  },\n");
  std::printf("  \"tern_goodput_bps\": %.0f,\n", tern_bps);
  std::printf("  \"ratio_basis_datagram_size\": %zu,\n", tern_basis);
  // The headline ratio pairs each tern trial with the ceiling measured next
  // to it; the conservative one sets tern's median against the best ceiling
  // of all trials.
  const std::vector<double> to_mmsg = paired(udp_mode::sendmmsg);
  std::printf("  \"ratio_to_sendmmsg_trials\": ");
  print_list(to_mmsg, "%.3f");
  std::printf(",\n");
  std::printf("  \"ratio_to_sendmmsg\": %.3f,\n", tern::bench::median(to_mmsg));
  std::printf("  \"ratio_median_tern_to_best_sendmmsg\": %.3f,\n",
              ratio(tern::bench::median(tern_trials), bps(tern_basis, udp_mode::sendmmsg)));
  std::printf("  \"ratio_to_gso\": %.3f\n", tern::bench::median(paired(udp_mode::gso)));
  std::printf("}\n");
  bool failed = false;
  for (const auto& t : runs) {
    for (auto& [size, by_mode] : t.ceiling)
      for (auto& [mode, r] : by_mode) failed |= !r.error.empty();
    failed |= !t.tern.error.empty();
  }
  return failed ? 1 : 0;
}
