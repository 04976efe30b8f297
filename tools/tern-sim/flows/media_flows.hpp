#pragma once

// Audio and video as separate message flows over full tern connections on
// the simulator (tern-sim flows; docs/streams.md, "Message flows"): audio
// frames every 20 ms on a flow of priority 0, video frames at `fps` on a
// flow of priority 2 (ordered or unordered), P-frames depending on the
// frame before them, optionally a bulk stream beside them, or everything on
// flow 0 in one id order (what a connection did before flows) as the
// baseline. Per-kind latency percentiles and drops by reason.

#include "congestion/controller.hpp"

#include <tern/time.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tern::flowsim {

struct flows_config {
  std::string link;               ///< netem spec client -> server
  std::string down;               ///< netem spec server -> client (empty: unimpaired)
  std::uint64_t seed = 1;
  cc::algorithm algorithm = cc::algorithm::bbr;
  duration media_duration = std::chrono::seconds(30);
  duration deadline = std::chrono::milliseconds(400);
  duration warmup = std::chrono::seconds(2); ///< figures skip frames sent this early
  std::uint64_t audio_bps = 64'000;
  std::uint64_t video_bps = 4'000'000;
  std::uint32_t fps = 30;
  std::uint32_t gop = 30;       ///< an I-frame every gop frames (0: all the same size, no dependencies)
  double iframe_scale = 4;
  bool unordered_video = false; ///< video flow delivers each frame as soon as it is whole
  bool dependencies = true;     ///< P-frames depend on the frame before them
  bool bulk = false;            ///< a bulk stream from the client beside the media
  bool single_flow = false;     ///< audio and video both on flow 0, ordered (the baseline)
  bool redundant_audio = true;  ///< audio flow sends each fragment twice (message_flow_options::redundant)
  bool real_time = false;       ///< config::real_time: queueing delay counts as congestion
};

struct kind_result {
  std::uint64_t sent = 0, delivered = 0, dropped = 0; ///< steady frames only
  std::uint64_t dropped_dependency = 0;               ///< all frames: drop notices with reason dependency
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
  /// Sender: longest wait from send_message() to a frame's first fragment
  /// going into a packet, and the messages given up with their reference.
  double max_first_fragment_wait_ms = 0;
  /// Over frames first sent after the warm-up: the bucket bound (1, 2, 5,
  /// 10, 20, 50, 100 ms; -1: above 100) the longest wait fell in.
  double steady_wait_bound_ms = 0;
  std::uint64_t sender_dependency_drops = 0;
};

struct flows_result {
  std::string error;
  bool handshake_ok = false;
  kind_result audio, video;
  std::uint64_t frames_corrupt = 0;
  std::uint64_t send_errors = 0;
  std::uint64_t packets_lost = 0;
  std::uint64_t bulk_bytes = 0;          ///< stream bytes the server read
};

flows_result run_flows(const flows_config& config);

/// One JSON object, no trailing newline.
std::string to_json(const flows_config& config, const flows_result& result);

} // namespace tern::flowsim
