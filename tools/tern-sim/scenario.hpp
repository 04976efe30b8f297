#pragma once

// A bulk-transfer scenario on the simulator: one flow over a point-to-point
// path, or several flows sharing a dumbbell bottleneck, run in virtual time.

#include "congestion/controller.hpp"

#include <tern/time.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tern::bulk {

struct scenario_config {
  /// netem spec of the data direction (the bottleneck for several flows).
  std::string link;
  /// netem spec of the return path; empty: unimpaired.
  std::string down;
  cc::algorithm algorithm = cc::algorithm::bbr;
  /// Flow i's controller, when given (one per flow); otherwise every flow
  /// uses `algorithm`. Mixes tern's controllers on one bottleneck, e.g. a
  /// BBR flow against a loss-based CUBIC flow.
  std::vector<cc::algorithm> flow_algorithms;
  /// A schedule (sim/schedule.hpp) of the path: untargeted entries and
  /// entries for "up" change the data direction (the bottleneck), entries
  /// for "down" the return path. Times count from the first flow's start.
  std::string schedule;
  /// BBR's tunables (--bbr-startup).
  cc::bbr_config bbr{};
  /// Bytes each flow transfers.
  std::uint64_t bytes = 10'000'000;
  std::uint64_t seed = 1;
  std::size_t flows = 1;
  /// Flow i starts at i · stagger.
  duration stagger{0};
  /// Datagram size, bytes.
  std::size_t mtu = 1200;
  /// Give up after this much virtual time.
  duration time_limit = std::chrono::hours(1);
  /// Several flows: fairness is measured from the last start plus this, up
  /// to the first flow's completion.
  duration fairness_warmup = std::chrono::seconds(5);
  /// Receiver progress is sampled this often (for the fairness window).
  duration sample_interval = std::chrono::milliseconds(100);
  /// Print one line per flow and sample to stderr (time, state, rates).
  bool trace = false;
};

struct flow_result {
  bool completed = false;
  std::uint64_t bytes_received = 0;
  duration start{0};
  /// Receiver got the last byte (relative to the flow's start).
  duration elapsed{0};
  double goodput_bps = 0;
  std::uint64_t packets_sent = 0;
  std::uint64_t data_packets = 0;
  std::uint64_t packets_lost = 0;
  std::uint64_t packets_retransmitted = 0;
  std::uint64_t spurious_retransmits = 0;
  std::uint64_t probe_timeouts = 0;
  std::uint64_t persistent_congestion = 0;
  std::uint64_t ack_packets_received = 0;
  double srtt_ms = 0, min_rtt_ms = 0, rttvar_ms = 0;
  std::uint64_t cwnd_bytes = 0;
  double pacing_rate_bps = 0;
  std::string cc_state;
  double cwnd_limited_s = 0, pacing_limited_s = 0, packet_window_limited_s = 0;
  /// Goodput inside the fairness window (several flows only).
  double window_goodput_bps = 0;
  /// When the controller first left its start-up states (Startup/Drain,
  /// slow start), to sample granularity, relative to the flow's start; and
  /// the goodput from then to completion. Zero when it never did.
  double startup_end_s = 0;
  double steady_goodput_bps = 0;
  cc::algorithm algorithm = cc::algorithm::bbr;
  /// This flow's packets the bottleneck dropped at its `limit` (a full
  /// queue), over the whole flow and from the start-up end on (the whole
  /// flow when the controller never left start-up), and the packets the
  /// flow sent over that same stretch.
  std::uint64_t queue_drops = 0;
  std::uint64_t steady_queue_drops = 0;
  std::uint64_t steady_packets_sent = 0;
};

struct scenario_result {
  /// Empty when the scenario ran; otherwise why it could not.
  std::string error;
  bool completed = false;
  std::vector<flow_result> flows;
  double link_rate_bps = 0;
  /// Virtual time until every flow completed (or the limit).
  duration virtual_duration{0};
  double goodput_bps = 0; ///< sum over flows
  double peak_queue_delay_ms = 0;
  double mean_queue_delay_ms = 0;
  std::uint64_t link_lost = 0, link_dropped_limit = 0;
  /// Several flows: Jain's fairness index over window goodputs, and the
  /// window itself (seconds from the scenario start).
  double jain_index = 0;
  double window_start_s = 0, window_end_s = 0;
  std::uint64_t events = 0;
};

/// Runs the scenario to completion or the time limit.
scenario_result run_scenario(const scenario_config& config);

/// One JSON object (no trailing newline). `wall_seconds` is added as
/// wall_time_s.
std::string to_json(const scenario_config& config, const scenario_result& result, double wall_seconds);

} // namespace tern::bulk
