#pragma once

// Full tern connections over the simulator (tern-sim --mode connection): a
// client and a server tern::core::connection (real TLS 1.3 handshake with a
// self-signed certificate generated in memory and pinned by fingerprint,
// AEAD packet protection, streams, flow control) across a netem path, in
// virtual time. Two workloads:
//
//   bulk   the client writes `bytes` split over `streams` unidirectional
//          streams; the server reads them and compares SHA-256 digests.
//   media  the client sends a 30 fps stream of frames as deadline messages
//          (send_message, deadline = send time + `deadline`); the server
//          records per-frame latency and drops.

#include "congestion/controller.hpp"
#include "fec_option.hpp"

#include <tern/time.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tern::connsim {

struct media_config {
  bool enabled = false;
  /// Mean media bit rate, bits per second; the mean frame is rate / fps / 8 bytes.
  std::uint64_t rate_bps = 4'000'000;
  std::uint32_t fps = 30;
  /// Every message must arrive within this of its send time.
  duration deadline = std::chrono::milliseconds(400);
  /// Frames to send (0: use `duration_limit`).
  std::uint64_t frames = 0;
  /// Media time to send frames for when `frames` is 0.
  duration media_duration = std::chrono::seconds(60);
  /// Every `gop`-th frame (starting with the first) is an I-frame
  /// `iframe_scale` times the size of the others; the mean rate stays
  /// `rate_bps`. gop 0 (the default): every frame has the same size.
  std::uint32_t gop = 0;
  double iframe_scale = 4;
  /// The steady_* figures leave out frames sent in this first stretch after
  /// the handshake (the congestion window's start-up from 10 packets).
  duration warmup = std::chrono::seconds(2);
  /// Forward error correction on both connections (--fec; the library's
  /// default, adaptive, unless set).
  fec::repair_policy_config fec{};
};

struct scenario_config {
  std::string link; ///< netem spec client -> server (data direction)
  std::string down; ///< netem spec server -> client; empty: unimpaired
  cc::algorithm algorithm = cc::algorithm::bbr;
  std::uint64_t bytes = 10'000'000; ///< bulk: total bytes over all streams
  std::size_t streams = 1;
  std::uint64_t seed = 1;
  std::size_t mtu = 1200; ///< connection_config::max_datagram_size
  /// connection_config::stream_send_buffer (bytes written and not yet
  /// acknowledged, per stream); 0 keeps the library default.
  std::size_t send_buffer = 0;
  /// Deadline start-up (docs/streams.md): false turns off what it adds to
  /// the controller's start-up until the first loss (the lossless allowance
  /// and the first window's burst), to measure what it costs.
  bool deadline_startup = true;
  duration time_limit = std::chrono::hours(1);
  media_config media;
  bool trace = false;
  /// Write both connections' qlog traces into this directory (empty: none).
  std::string qlog_dir;
};

struct media_result {
  std::uint64_t frames_sent = 0;
  std::uint64_t frames_delivered = 0;
  std::uint64_t frames_dropped = 0;     ///< drop notices plus never arrived
  std::uint64_t drop_notices = 0;       ///< ids the receiver was told were dropped
  std::uint64_t frames_corrupt = 0;     ///< delivered with wrong bytes (must be 0)
  std::uint64_t send_errors = 0;        ///< send_message refused a frame
  double drop_rate = 0;
  double latency_p50_ms = 0, latency_p90_ms = 0, latency_p99_ms = 0, latency_max_ms = 0;
  std::uint64_t frames_over_deadline = 0; ///< delivered later than the deadline (must be 0)
  std::uint64_t frame_bytes_mean = 0;
  /// The same figures over frames sent after media_config::warmup.
  std::uint64_t steady_frames_sent = 0, steady_frames_dropped = 0;
  double steady_drop_rate = 0, steady_latency_p50_ms = 0, steady_latency_p99_ms = 0, steady_latency_max_ms = 0;
  /// Drop notices by reason (stream::drop_reason).
  std::uint64_t dropped_abandoned = 0, dropped_expired = 0, dropped_no_memory = 0, dropped_overrun = 0;
  /// Sender side (connection_stats).
  std::uint64_t fragments_sent = 0, retransmissions = 0, duplicates = 0, abandoned = 0;
  /// Latency of each frame sent, by frame index, in ms; negative for a frame
  /// that was never delivered. Kept for latency distributions (CDFs), which
  /// the percentiles above summarise too coarsely.
  std::vector<double> frame_latency_ms;
  fec_result fec;
};

struct scenario_result {
  std::string error; ///< empty when the scenario ran
  bool completed = false;
  bool handshake_ok = false;
  double handshake_s = 0;           ///< connect() to the client's handshake completion
  /// Bulk: bytes read by the server / elapsed from the client's first
  /// stream write (handshake complete) to the server reading the last byte.
  double goodput_bps = 0;
  /// The same bytes over the time from connect() (handshake included).
  double goodput_with_handshake_bps = 0;
  double link_rate_bps = 0;
  std::uint64_t bytes_received = 0;
  bool sha256_match = false;
  std::string sha256; ///< of the sent bytes (stream 0 with one stream)
  duration virtual_duration{0};
  duration transfer_duration{0};
  // Client (sender) side.
  std::uint64_t packets_sent = 0, packets_lost = 0, packets_retransmitted = 0, spurious_retransmits = 0;
  std::uint64_t bytes_sent = 0, stream_bytes_sent = 0, stream_bytes_retransmitted = 0;
  std::uint64_t server_packets_sent = 0;
  double srtt_ms = 0, min_rtt_ms = 0, rttvar_ms = 0;
  std::uint64_t cwnd_bytes = 0;
  double pacing_rate_bps = 0;
  double peak_queue_delay_ms = 0, mean_queue_delay_ms = 0;
  std::uint64_t link_lost = 0, link_dropped_limit = 0, events = 0;
  media_result media;
};

/// Runs the scenario to completion or the time limit.
scenario_result run_scenario(const scenario_config& config);

/// One JSON object (no trailing newline); `wall_seconds` becomes wall_time_s.
std::string to_json(const scenario_config& config, const scenario_result& result, double wall_seconds);

/// Media: one CSV line per frame sent, after a header line
/// "frame,sent_ms,latency_ms": the frame index, its send time in ms after the
/// first frame, and its latency in ms (empty when it was never delivered).
std::string frame_latencies_csv(const scenario_config& config, const media_result& media);

} // namespace tern::connsim
