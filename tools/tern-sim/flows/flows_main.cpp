// tern-sim flows: audio and video message flows (and optionally a bulk
// stream) over the simulator, in virtual time, over several seeds.
//
//   tern-sim flows --link "delay 100ms loss 2%" [--down SPEC] [--seeds 5]
//                  [--seed 1] [--duration 30s] [--deadline 400ms]
//                  [--unordered] [--bulk] [--single-flow] [--no-dependencies]
//                  [--no-audio-redundancy]
//                  [--gop 30] [--video-rate 4mbit] [--audio-rate 64kbit]
//                  [--check-audio-p99 MS] [--check-video-p50 MS] [--check-audio-wait MS]
//
// The --check bounds apply to every seed (steady frames, after a 2 s
// warm-up); the failing seeds are printed to stderr.
#include "flows_main.hpp"

#include "cli_units.hpp"

#include "media_flows.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string>

namespace tern::flowsim {

int flows_main(int argc, char** argv) {
  CLI::App app{"tern-sim flows: audio and video message flows over the simulator"};
  flows_config config;
  std::string duration_text = "30s", deadline_text = "400ms", video_rate = "4mbit", audio_rate = "64kbit";
  std::uint64_t seeds = 1;
  bool no_dependencies = false;
  double check_audio_p99 = 0, check_video_p50 = 0, check_audio_wait = 0;
  app.add_option("--link", config.link, "netem spec of the data direction (tc syntax)")->required();
  app.add_option("--down", config.down, "netem spec of the return path (default: unimpaired)");
  app.add_option("--seed", config.seed, "first seed")->capture_default_str();
  app.add_option("--seeds", seeds, "seeds to run, from --seed")->capture_default_str();
  app.add_option("--duration", duration_text, "media time")->capture_default_str();
  app.add_option("--deadline", deadline_text, "every frame's deadline after its send time")->capture_default_str();
  app.add_option("--video-rate", video_rate, "video bit rate")->capture_default_str();
  app.add_option("--audio-rate", audio_rate, "audio bit rate (a frame every 20 ms)")->capture_default_str();
  app.add_option("--fps", config.fps, "video frames per second")->capture_default_str();
  app.add_option("--gop", config.gop, "an I-frame every N video frames (0: constant size)")->capture_default_str();
  app.add_flag("--unordered", config.unordered_video, "video flow delivers each frame as soon as it is whole");
  app.add_flag("--bulk", config.bulk, "a bulk stream beside the media");
  app.add_flag("--real-time", config.real_time, "real-time mode: the queue the bulk stream builds counts as congestion");
  app.add_flag("--single-flow", config.single_flow, "audio and video on flow 0 in one order (the baseline)");
  app.add_flag("--no-dependencies", no_dependencies, "P-frames name no reference");
  bool no_redundancy = false;
  app.add_flag("--no-audio-redundancy", no_redundancy, "audio fragments sent once, not twice");
  app.add_option("--check-audio-p99", check_audio_p99, "exit 1 if a seed's audio p99 exceeds MS");
  app.add_option("--check-video-p50", check_video_p50, "exit 1 if a seed's video p50 exceeds MS");
  app.add_option("--check-audio-wait", check_audio_wait,
                 "exit 1 if an audio frame waited more than MS (1, 2, 5, ... ms buckets) for its first packet");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  config.dependencies = !no_dependencies;
  config.redundant_audio = !no_redundancy;
  if (!sim_cli::parse_seconds(duration_text, config.media_duration) ||
      !sim_cli::parse_seconds(deadline_text, config.deadline) || config.media_duration <= duration::zero() ||
      config.deadline <= duration::zero() || !sim_cli::parse_rate(video_rate, config.video_bps) ||
      !sim_cli::parse_rate(audio_rate, config.audio_bps) || seeds == 0) {
    std::cerr << "tern-sim flows: bad --duration, --deadline, --video-rate, --audio-rate or --seeds\n";
    return 2;
  }
  int status = 0;
  const std::uint64_t first = config.seed;
  for (std::uint64_t s = first; s < first + seeds; ++s) {
    config.seed = s;
    const auto r = run_flows(config);
    std::cout << to_json(config, r) << std::endl;
    if (!r.error.empty()) {
      std::cerr << "tern-sim flows: " << r.error << "\n";
      return 2;
    }
    const bool audio_fails = check_audio_p99 > 0 && r.audio.p99_ms > check_audio_p99;
    const bool video_fails = check_video_p50 > 0 && r.video.p50_ms > check_video_p50;
    const bool wait_fails = check_audio_wait > 0 && (r.audio.steady_wait_bound_ms < 0 ||
                                                     r.audio.steady_wait_bound_ms > check_audio_wait);
    if (audio_fails || video_fails || wait_fails || r.frames_corrupt != 0 || !r.handshake_ok) {
      std::fprintf(stderr,
                   "tern-sim flows: seed %llu: audio p99 %.1f ms, video p50 %.1f ms, audio wait <= %.0f ms, "
                   "corrupt %llu\n",
                   static_cast<unsigned long long>(s), r.audio.p99_ms, r.video.p50_ms, r.audio.steady_wait_bound_ms,
                   static_cast<unsigned long long>(r.frames_corrupt));
      status = 1;
    }
  }
  return status;
}

} // namespace tern::flowsim
