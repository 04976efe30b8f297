#pragma once

// Adaptive media over the simulator (tern-sim --mode connection --media
// --adaptive, or --encoder fixed for the comparison): a synthetic encoder
// (tools/common/media) sends a GOP-structured video stream as deadline
// messages and audio as datagrams, and follows the connection's target rate
// (target_rate_changed events) while a schedule changes the path. The run
// reports per schedule step the target rate, frame latency and drops, and
// how fast the target followed each step.

#include "congestion/controller.hpp"
#include "synthetic_encoder.hpp"

#include <tern/time.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tern::connsim {

struct adaptive_media_config {
  std::string link;     ///< netem spec client -> server (media direction)
  std::string down;     ///< server -> client; empty: unimpaired
  std::string schedule; ///< sim::parse_schedule syntax; times from connect()
  cc::algorithm algorithm = cc::algorithm::bbr;
  std::uint64_t seed = 1;
  media::encoder_config encoder{};
  /// Video frames and audio packets must arrive within this of being sent.
  duration deadline = std::chrono::milliseconds(300);
  /// Media time; the run ends a second after the last frame's deadline.
  duration media_duration = std::chrono::seconds(60);
  /// core::connection_config::real_time (queueing delay as a congestion signal).
  bool real_time = false;
  /// core::connection_config::drain_guard (hold all but audio while the
  /// queue a fast cut answers drains).
  bool drain_guard = true;
  /// Resolution of the latency settle times.
  duration window = std::chrono::milliseconds(500);
  /// "Under" in settle times: a window's p99 frame latency below this.
  duration latency_goal = std::chrono::milliseconds(200);
  bool trace = false;
};

/// One stretch of constant path (a schedule entry, or the run's start).
struct media_step {
  double start_s = 0;             ///< from connect()
  double link_rate_bps = 0;       ///< the up link's rate in this step (0: unlimited)
  std::uint64_t video_frames = 0, video_dropped = 0; ///< dropped: never arrived or after the deadline
  std::uint64_t audio_packets = 0, audio_dropped = 0; ///< lost or later than the deadline
  double latency_p50_ms = 0, latency_p99_ms = 0;
  double target_mean_bps = 0;     ///< mean of the target rate sampled every 50 ms
  double video_bitrate_mean_bps = 0;
  /// Seconds from the step until the target rate followed it: down to the
  /// new link rate after a drop; after a rise, back to the encoder's full
  /// rate (video and audio), or to 90 % of the link rate less 5 % if that
  /// is lower. -1: never (or the first step).
  double target_followed_s = -1;
  /// Seconds from the step (a multiple of `window`) from which the p99
  /// latency of the frames sent until the step ends, drops counting as
  /// late, is under latency_goal. -1: never.
  double latency_settled_s = -1;
  /// Peak of the sender's queueing delay (stats().queueing_delay, sampled
  /// every 50 ms) in this step.
  double queueing_delay_max_ms = 0;
};

struct adaptive_media_result {
  std::string error;
  bool completed = false;
  std::uint64_t video_frames = 0, video_dropped = 0, video_corrupt = 0;
  std::uint64_t audio_packets = 0, audio_dropped = 0;
  double video_drop_rate = 0;
  double latency_p50_ms = 0, latency_p99_ms = 0, latency_max_ms = 0;
  /// The media direction's link: mean and peak time packets spent queued.
  double link_queue_delay_mean_ms = 0, link_queue_delay_max_ms = 0;
  std::vector<media_step> steps;
  /// (seconds from connect(), target rate bits per second, video bitrate)
  /// every 50 ms.
  std::vector<std::array<double, 3>> target_trace;
};

adaptive_media_result run_adaptive_media(const adaptive_media_config& config);

/// One JSON object (no trailing newline).
std::string to_json(const adaptive_media_config& config, const adaptive_media_result& result, double wall_seconds);

} // namespace tern::connsim
