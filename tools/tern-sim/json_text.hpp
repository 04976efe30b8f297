#pragma once

// How tern-sim prints its JSON reports: one line, keys in the order they
// were set (nlohmann::ordered_json), measured figures to six significant
// digits, non-finite numbers as null, and text that is not UTF-8 (a --link
// spec typed with stray bytes) replaced rather than thrown at.

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace tern::sim_json {

/// `v` to six significant digits, the precision the reports have always
/// had: more is simulator noise (0.020960000000000003 s) that only makes
/// committed results harder to compare. Non-finite values pass through
/// (dump() writes them as null).
inline double six_digits(double v) {
  if (!std::isfinite(v)) return v;
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return std::strtod(text, nullptr);
}

/// The sender's recovery state at the end of a run, the same members in
/// both reports (per flow in the packet-level one).
template <class Result>
void add_recovery_state(nlohmann::ordered_json& report, const Result& r) {
  report["srtt_ms"] = six_digits(r.srtt_ms);
  report["min_rtt_ms"] = six_digits(r.min_rtt_ms);
  report["rttvar_ms"] = six_digits(r.rttvar_ms);
  report["cwnd_bytes"] = r.cwnd_bytes;
  report["pacing_rate_bps"] = six_digits(r.pacing_rate_bps);
}

/// The bottleneck's queue and losses, and the simulator's event count.
template <class Result>
void add_link_stats(nlohmann::ordered_json& report, const Result& r) {
  report["peak_queue_delay_ms"] = six_digits(r.peak_queue_delay_ms);
  report["mean_queue_delay_ms"] = six_digits(r.mean_queue_delay_ms);
  report["link_lost"] = r.link_lost;
  report["link_dropped_limit"] = r.link_dropped_limit;
  report["events"] = r.events;
}

inline std::string dump(const nlohmann::ordered_json& report) {
  return report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace tern::sim_json
