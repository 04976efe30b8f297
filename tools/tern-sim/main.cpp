// tern-sim: runs a bulk transfer over the netem simulator in virtual time
// and prints one JSON object with what happened.
//
//   tern-sim --link "rate 100mbit delay 100ms loss 1%" [--down "delay 100ms"]
//            --cc bbr|cubic|newreno --bytes 100M --seed N --json
//            [--bbr-startup jump|standard|model]
//            [--flows 2 --stagger 2s --fairness-warmup 15s] [--mtu 1200] [--trace]
//            [--flow-cc bbr,cubic] [--schedule "at 2s: rate 10mbit delay 20ms; at 4s: ..."]
//
//   tern-sim matrix [--seeds 3] [--cc bbr,cubic,newreno] [--only TEXT] [--json] [--check]
//            runs the path-condition matrix (matrix/matrix_main.cpp).
//
// --mode packet (the default) runs the packet-level bulk sender/receiver
// (wire codec, no encryption, no streams). --mode connection runs two full
// tern::core::connection endpoints (TLS 1.3, packet protection, streams):
//
//   tern-sim --mode connection --link ... --bytes 100M [--streams K]
//   tern-sim --mode connection --media [--media-rate 4mbit] [--fps 30]
//            [--deadline 400ms] [--duration 60s | --frames N]
//            [--gop 30 --iframe-scale 4] [--frame-latencies FILE]
//            [--fec off | adaptive | fixed:RATIO]
//            --link ... --down ...
//   tern-sim --mode connection --media --adaptive|--encoder fixed
//            [--media-rate 6mbit] [--audio-rate 64kbit] [--deadline 300ms]
//            [--real-time] [--schedule "at 0s: rate 8mbit delay 50ms; at 20s: rate 2mbit delay 50ms"]
//            --link ...   (a synthetic GOP encoder following the target rate)
//   tern-sim --mode connection ... --qlog DIR   (qlog traces of both sides;
//                                               DIR is created if missing)
//
// Exit status: 0 when every flow completed, 1 when the time limit came
// first, 2 on bad arguments.

#include "adaptive_media.hpp"
#include "algorithm_list.hpp"
#include "cli_exit.hpp"
#include "cli_units.hpp"
#include "connection_scenario.hpp"
#include "flows/flows_main.hpp"
#include "matrix/matrix_main.hpp"
#include "scenario.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string_view>
#include <vector>

using tern::sim_cli::parse_bytes;
using tern::sim_cli::parse_rate;
using tern::sim_cli::parse_seconds;

int main(int argc, char** argv) {
  // The matrix is a suite of scenarios with its own options.
  if (argc > 1 && std::string_view{argv[1]} == "matrix") return tern::matrix::matrix_main(argc - 1, argv + 1);
  if (argc > 1 && std::string_view{argv[1]} == "flows") return tern::flowsim::flows_main(argc - 1, argv + 1);

  CLI::App app{"tern-sim: a bulk transfer over the netem simulator, in virtual time"};
  tern::bulk::scenario_config config;
  std::string cc = "bbr", bytes = "10M", stagger = "0s", limit = "3600s", warmup = "5s";
  bool json = false;
  std::string mode = "packet", media_rate = "4mbit", deadline = "400ms", media_duration = "60s", send_buffer = "0";
  tern::connsim::scenario_config cconfig;
  app.add_option("--mode", mode, "packet (bulk sender/receiver) or connection (full tern connections)")
      ->capture_default_str();
  app.add_option("--streams", cconfig.streams, "connection mode: streams the bytes are split over")
      ->capture_default_str();
  app.add_option("--send-buffer", send_buffer,
                 "connection mode: per-stream send buffer, e.g. 16M (0: library default)")
      ->capture_default_str();
  app.add_flag("--media", cconfig.media.enabled, "connection mode: a media stream of deadline messages");
  app.add_option("--media-rate", media_rate, "media bit rate, e.g. 4mbit")->capture_default_str();
  app.add_option("--fps", cconfig.media.fps, "media frames per second")->capture_default_str();
  app.add_option("--deadline", deadline, "media: message deadline after its send time")->capture_default_str();
  app.add_option("--duration", media_duration, "media: time to send frames for")->capture_default_str();
  app.add_option("--frames", cconfig.media.frames, "media: frames to send (overrides --duration)");
  std::string fec_option = "adaptive";
  app.add_option("--fec", fec_option, "media: forward error correction, off | adaptive | fixed:RATIO (docs/fec.md)")
      ->capture_default_str();
  std::string media_warmup = "2s";
  app.add_option("--media-warmup", media_warmup, "media: steady_* figures skip frames sent this early")
      ->capture_default_str();
  app.add_option("--gop", cconfig.media.gop, "media: an I-frame every N frames (0: constant frame size)")
      ->capture_default_str();
  app.add_option("--iframe-scale", cconfig.media.iframe_scale, "media: I-frame size / P-frame size")
      ->capture_default_str();
  // Adaptive media (adaptive_media.hpp): the synthetic encoder follows the
  // target rate; --encoder fixed keeps it at --media-rate for comparison.
  bool adaptive = false, real_time = false, no_drain_guard = false;
  std::string encoder_mode, audio_rate = "64kbit";
  app.add_flag("--adaptive", adaptive,
               "media: a synthetic GOP encoder (video messages, audio datagrams) follows the target rate; "
               "--media-rate is its top video rate");
  app.add_option("--encoder", encoder_mode, "media: adaptive (as --adaptive) or fixed (the same sender at --media-rate)");
  app.add_option("--audio-rate", audio_rate, "adaptive media: audio bit rate beside the video")->capture_default_str();
  bool no_deadline_startup = false;
  app.add_flag("--no-deadline-startup", no_deadline_startup,
               "connection mode: no lossless allowance or first-window burst for deadline messages");
  app.add_flag("--real-time", real_time, "connection mode: queueing delay counts as congestion (config::real_time)");
  app.add_flag("--no-drain-guard", no_drain_guard,
               "adaptive media: send video on while the queue a fast cut of the target rate answers drains");
  std::string frame_latencies;
  app.add_option("--frame-latencies", frame_latencies,
                 "media: write each frame's latency to FILE as CSV (frame,sent_ms,latency_ms)");
  app.add_option("--link", config.link, "netem spec of the data direction (tc syntax)")->required();
  app.add_option("--down", config.down, "netem spec of the return path (default: unimpaired)");
  app.add_option("--cc", cc, "congestion control: bbr, cubic or newreno")->capture_default_str();
  std::string flow_cc;
  app.add_option("--flow-cc", flow_cc,
                 "packet mode: one controller per flow, e.g. bbr,cubic (overrides --cc)");
  app.add_option("--schedule", config.schedule,
                 "packet mode and adaptive media: path changes (text or a FILE as tern-netem reads), e.g. \"at 2s: rate 10mbit delay 20ms; at 4s down: blackout\" "
                 "(targets up/down; none: both directions)");
  std::string bbr_startup{tern::cc::to_string(config.bbr.startup)};
  app.add_option("--bbr-startup", bbr_startup,
                 "packet mode, BBR Startup: jump (from the initial window's ACK spacing), standard "
                 "(doubling per round trip) or model (window follows the model)")
      ->capture_default_str();
  app.add_option("--bytes", bytes, "bytes per flow, e.g. 100M (decimal units)")->capture_default_str();
  app.add_option("--seed", config.seed, "random seed")->capture_default_str();
  app.add_option("--flows", config.flows, "flows sharing the bottleneck")->capture_default_str();
  app.add_option("--stagger", stagger, "start offset between flows, e.g. 2s")->capture_default_str();
  app.add_option("--fairness-warmup", warmup,
                 "several flows: fairness is measured from the last start plus this")
      ->capture_default_str();
  app.add_option("--mtu", config.mtu, "datagram size in bytes")->capture_default_str();
  app.add_option("--time-limit", limit, "virtual time limit, e.g. 600s")->capture_default_str();
  app.add_flag("--trace", config.trace, "print per-flow progress every 100 ms to stderr");
  app.add_flag("--json", json, "print the JSON result (the default output)");
  std::string qlog_dir;
  app.add_option("--qlog", qlog_dir,
                 "connection mode: write qlog traces of both connections into DIR (created if missing)");
  TERN_PARSE_COMMAND_LINE(app, "tern-sim", argc, argv);
  (void)json;

  const auto algorithm = tern::cc::parse_algorithm(cc);
  if (!algorithm) {
    std::cerr << "tern-sim: unknown --cc '" << cc << "' (bbr, cubic, newreno)\n";
    return 2;
  }
  config.algorithm = *algorithm;
  if (!flow_cc.empty() && !tern::bulk::parse_algorithm_list(flow_cc, config.flow_algorithms)) {
    std::cerr << "tern-sim: bad --flow-cc '" << flow_cc
              << "' (a comma-separated list of bbr, cubic, newreno)\n";
    return 2;
  }
  const auto startup = tern::cc::parse_bbr_startup_mode(bbr_startup);
  if (!startup) {
    std::cerr << "tern-sim: unknown --bbr-startup '" << bbr_startup << "' (jump, standard, model)\n";
    return 2;
  }
  config.bbr.startup = *startup;
  if (!parse_bytes(bytes, config.bytes)) {
    std::cerr << "tern-sim: bad --bytes '" << bytes << "'\n";
    return 2;
  }
  if (!parse_seconds(stagger, config.stagger) || !parse_seconds(limit, config.time_limit) ||
      !parse_seconds(warmup, config.fairness_warmup)) {
    std::cerr << "tern-sim: bad time in --stagger, --time-limit or --fairness-warmup\n";
    return 2;
  }

  if (!frame_latencies.empty() && (mode != "connection" || !cconfig.media.enabled)) {
    std::cerr << "tern-sim: --frame-latencies needs --mode connection --media\n";
    return 2;
  }

  // --schedule FILE: the file's text, as tern-netem reads it (an inline
  // schedule names no file).
  if (!config.schedule.empty()) {
    std::error_code fec;
    if (std::filesystem::is_regular_file(config.schedule, fec)) {
      std::ifstream in(config.schedule);
      std::stringstream text;
      text << in.rdbuf();
      if (!in) return tern::tools::usage_error("tern-sim", "--schedule: cannot read \"" + config.schedule + "\"");
      config.schedule = text.str();
    }
  }
  if (adaptive && !encoder_mode.empty() && encoder_mode != "adaptive") {
    std::cerr << "tern-sim: --adaptive contradicts --encoder " << encoder_mode << "\n";
    return 2;
  }
  if (adaptive) encoder_mode = "adaptive";
  if (!encoder_mode.empty()) {
    if (mode != "connection" || !cconfig.media.enabled || (encoder_mode != "adaptive" && encoder_mode != "fixed")) {
      std::cerr << "tern-sim: --adaptive / --encoder adaptive|fixed need --mode connection --media\n";
      return 2;
    }
    tern::connsim::adaptive_media_config a;
    auto& enc = a.encoder;
    enc.adaptive = encoder_mode == "adaptive";
    enc.fps = cconfig.media.fps;
    enc.gop = cconfig.media.gop == 0 ? 30 : cconfig.media.gop;
    enc.iframe_scale = cconfig.media.iframe_scale;
    if (!parse_rate(media_rate, enc.max_video_bps) || !parse_rate(audio_rate, enc.audio_bps) ||
        !parse_seconds(deadline, a.deadline) || !parse_seconds(media_duration, a.media_duration)) {
      std::cerr << "tern-sim: bad --media-rate, --audio-rate, --deadline or --duration\n";
      return 2;
    }
    enc.start_video_bps = std::min<std::uint64_t>(enc.max_video_bps, 1'000'000);
    a.link = config.link;
    a.down = config.down;
    a.schedule = config.schedule;
    a.algorithm = config.algorithm;
    a.seed = config.seed;
    a.real_time = real_time;
    a.drain_guard = !no_drain_guard;
    a.trace = config.trace;
    const auto wall_start = std::chrono::steady_clock::now();
    const auto result = tern::connsim::run_adaptive_media(a);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    std::cout << tern::connsim::to_json(a, result, wall) << "\n";
    if (!result.error.empty()) return tern::tools::usage_error("tern-sim", result.error);
    return result.completed && result.video_corrupt == 0 ? 0 : 1;
  }

  if (mode == "connection") {
    tern::duration dl{}, dur{};
    std::uint64_t sb = 0;
    if (!parse_rate(media_rate, cconfig.media.rate_bps) || !parse_seconds(deadline, dl) ||
        !parse_seconds(media_duration, dur) || !parse_bytes(send_buffer, sb) ||
        !parse_seconds(media_warmup, cconfig.media.warmup)) {
      std::cerr << "tern-sim: bad --media-rate, --deadline, --duration or --send-buffer\n";
      return 2;
    }
    if (config.flows != 1) {
      std::cerr << "tern-sim: --mode connection runs one flow\n";
      return 2;
    }
    if (!config.flow_algorithms.empty() || !config.schedule.empty()) {
      std::cerr << "tern-sim: --flow-cc needs --mode packet; --schedule needs --mode packet or --media "
                   "--adaptive / --encoder fixed\n";
      return 2;
    }
    cconfig.media.deadline = dl;
    if (!tern::connsim::parse_fec_option(fec_option, cconfig.media.fec)) {
      std::cerr << "tern-sim: bad --fec (off, adaptive or fixed:RATIO with 0 < RATIO <= 1)\n";
      return 2;
    }
    cconfig.media.media_duration = dur;
    cconfig.send_buffer = static_cast<std::size_t>(sb);
    cconfig.deadline_startup = !no_deadline_startup;
    cconfig.link = config.link;
    cconfig.down = config.down;
    cconfig.algorithm = config.algorithm;
    cconfig.bytes = config.bytes;
    cconfig.seed = config.seed;
    cconfig.mtu = config.mtu;
    cconfig.time_limit = config.time_limit;
    cconfig.trace = config.trace;
    if (!qlog_dir.empty()) {
      // The library writes only into an existing directory (a typo should
      // not scatter traces); the tool creates it, as `mkdir -p` would.
      std::error_code ec;
      std::filesystem::create_directories(qlog_dir, ec);
      if (ec || !std::filesystem::is_directory(qlog_dir, ec))
        return tern::tools::usage_error("tern-sim", "--qlog: cannot create directory \"" + qlog_dir + "\"" +
                                                        (ec ? ": " + ec.message() : std::string{}));
    }
    cconfig.qlog_dir = qlog_dir;
    const auto wall_start = std::chrono::steady_clock::now();
    const auto result = tern::connsim::run_scenario(cconfig);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    std::cout << tern::connsim::to_json(cconfig, result, wall) << "\n";
    if (!result.error.empty()) return tern::tools::usage_error("tern-sim", result.error);
    if (!frame_latencies.empty()) {
      std::ofstream file(frame_latencies);
      file << tern::connsim::frame_latencies_csv(cconfig, result.media);
      if (!file.flush()) {
        std::cerr << "tern-sim: cannot write --frame-latencies '" << frame_latencies << "'\n";
        return 2;
      }
    }
    return result.completed && result.sha256_match ? 0 : 1;
  }
  if (mode != "packet") {
    std::cerr << "tern-sim: unknown --mode '" << mode << "' (packet, connection)\n";
    return 2;
  }
  if (!qlog_dir.empty()) {
    std::cerr << "tern-sim: --qlog needs --mode connection (packet mode has no tern connections)\n";
    return 2;
  }

  const auto wall_start = std::chrono::steady_clock::now();
  const auto result = tern::bulk::run_scenario(config);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::cout << tern::bulk::to_json(config, result, wall) << "\n";
  if (!result.error.empty()) return tern::tools::usage_error("tern-sim", result.error);
  return result.completed ? 0 : 1;
}
