#include "cell_config.hpp"

#include "cell_metrics.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace tern::matrix {
namespace {

double seconds(duration d) { return std::chrono::duration<double>(d).count(); }

// tc's rate units, the largest that writes the rate exactly.
std::string rate_text(double bps) {
  const auto bits = static_cast<std::uint64_t>(std::llround(bps));
  char text[40];
  if (bits % 1'000'000'000 == 0)
    std::snprintf(text, sizeof text, "%llugbit", static_cast<unsigned long long>(bits / 1'000'000'000));
  else if (bits % 1'000'000 == 0)
    std::snprintf(text, sizeof text, "%llumbit", static_cast<unsigned long long>(bits / 1'000'000));
  else if (bits % 1'000 == 0)
    std::snprintf(text, sizeof text, "%llukbit", static_cast<unsigned long long>(bits / 1'000));
  else
    std::snprintf(text, sizeof text, "%llubit", static_cast<unsigned long long>(bits));
  return text;
}

// Half the round trip, in microseconds (exact for any whole-microsecond RTT).
std::string one_way_delay(const base_path& path) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(path.rtt / 2).count();
  char text[32];
  if (us % 1000 == 0)
    std::snprintf(text, sizeof text, "%lldms", static_cast<long long>(us / 1000));
  else
    std::snprintf(text, sizeof text, "%lldus", static_cast<long long>(us));
  return text;
}

std::string time_text(duration d) {
  char text[32];
  std::snprintf(text, sizeof text, "%lldms",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()));
  return text;
}

std::string join(std::string spec, const std::string& more) {
  if (!more.empty()) spec += " " + more;
  return spec;
}

} // namespace

std::uint32_t limit_packets(const base_path& path, std::size_t mtu) {
  if (path.fixed_limit > 0) return path.fixed_limit;
  const double packets_per_second = path.rate_bps / (static_cast<double>(mtu) * 8);
  const double delay_line = packets_per_second * seconds(path.rtt) / 2;
  const double queue = std::max(1.0, std::round(packets_per_second * seconds(path.rtt) * path.queue_bdp));
  return static_cast<std::uint32_t>(std::ceil(delay_line) + queue);
}

std::string up_spec(const path_row& row, double rate_bps) {
  std::string spec = "rate " + rate_text(rate_bps) + " delay " + one_way_delay(row.path);
  spec = join(spec, row.up_jitter);
  spec += " limit " + std::to_string(limit_packets(row.path));
  return join(spec, row.up_impairment);
}

std::string down_spec(const path_row& row) {
  return join("delay " + one_way_delay(row.path) + " limit 100000", row.down_impairment);
}

std::string schedule_text(const path_row& row) {
  std::string text;
  for (const auto& phase : row.phases) {
    if (!text.empty()) text += "; ";
    const std::string at = "at " + time_text(phase.at);
    if (phase.rate_bps <= 0)
      text += at + ": blackout";
    else
      text += at + " up: " + up_spec(row, phase.rate_bps) + "; " + at + " down: " + down_spec(row);
  }
  return text;
}

path_row unimpaired(const path_row& row) {
  path_row clean = row;
  clean.up_impairment.clear();
  clean.up_jitter.clear();
  clean.down_impairment.clear();
  clean.phases.clear();
  clean.path.queue_bdp = std::max(row.path.queue_bdp, 1.0);
  clean.path.fixed_limit = 0;
  clean.flows = row.flows + row.competitors;
  clean.competitors = 0;
  return clean;
}

bulk::scenario_config scenario_for(const path_row& row, cc::algorithm algorithm, std::uint64_t seed) {
  bulk::scenario_config c;
  c.link = up_spec(row, row.path.rate_bps);
  c.down = down_spec(row);
  c.schedule = schedule_text(row);
  c.algorithm = algorithm;
  c.flows = row.flows + row.competitors;
  if (row.competitors > 0) {
    c.flow_algorithms.assign(row.flows, algorithm);
    c.flow_algorithms.insert(c.flow_algorithms.end(), row.competitors, cc::algorithm::cubic);
  }
  c.bytes = row.bytes;
  c.seed = seed;
  c.mtu = matrix_mtu;
  c.fairness_warmup = fairness_warmup;
  const double bits = static_cast<double>(row.bytes) * 8 * static_cast<double>(c.flows);
  const double ideal = ideal_transfer_seconds(bits, row.path.rate_bps, row.phases);
  c.time_limit = std::isfinite(ideal) ? std::chrono::duration_cast<duration>(
                                            std::chrono::duration<double>(10 * ideal) + 60 * row.path.rtt)
                                      : std::chrono::hours(1);
  return c;
}

} // namespace tern::matrix
