// The frame stream over tern, on the public API: each frame is one deadline
// message (retransmitted until capture + deadline, then dropped with a
// notice to the receiver), which is how a real-time video sender uses tern.
//
//   tern_frames recv PORT [shape]     prints "port P" and "fingerprint F", then one JSON line
//   tern_frames send HOST PORT FINGERPRINT [shape] [--deadline MS] [--cc bbr|cubic|newreno]
//                    [--fec off|adaptive] [--unordered] [--adaptive] [--real-time]
//
// --adaptive: the frames come from the synthetic encoder (tools/common/media:
// a 30-frame GOP, I-frames 4 P-frames) following the connection's target
// rate, up to --rate; without it every frame is --rate / --fps bytes.
// --real-time: config::real_time (docs/media-rate.md). recv --frames-out
// FILE writes one line per delivered frame (latency_report::write_frames).
//
// shape: --rate BITS_PER_SECOND --fps N --seconds S (the same on both ends);
// recv also takes --grace SECONDS (see kernel_frames.cpp).

#include "frame_stream.hpp"
#include "synthetic_encoder.hpp"

#include <tern/tern.hpp>

#include "cli_exit.hpp"

#include <CLI/CLI.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

using namespace tern::bench;
using asio::use_awaitable;
namespace ip = asio::ip;
using steady = std::chrono::steady_clock;
constexpr auto as_tuple = asio::experimental::as_tuple(use_awaitable);

namespace {

// steady_clock is CLOCK_MONOTONIC on Linux, the clock of frame_stream.
steady::time_point at_ns(std::int64_t ns) { return steady::time_point{std::chrono::nanoseconds{ns}}; }

/// The encoder of --adaptive: video only, up to the stream's rate.
tern::media::synthetic_encoder adaptive_encoder(const stream_shape& shape) {
  tern::media::encoder_config e;
  e.fps = static_cast<std::uint32_t>(shape.fps);
  e.max_video_bps = static_cast<std::uint64_t>(shape.bits_per_second);
  e.min_video_bps = std::min<std::uint64_t>(e.min_video_bps, e.max_video_bps);
  e.start_video_bps = std::min<std::uint64_t>(e.start_video_bps, e.max_video_bps);
  e.audio_bps = 0;
  return tern::media::synthetic_encoder{e};
}

asio::awaitable<void> send_frames(tern::connection c, stream_shape shape, std::chrono::milliseconds deadline,
                                  bool unordered, bool adaptive, std::uint64_t& refused) {
  // Unordered: the frames go on a flow that hands each one out as soon as it
  // is whole, not behind an earlier frame still being repaired.
  tern::message_options flow;
  if (unordered) {
    flow.flow = 1;
    c.configure_message_flow(flow.flow, {.ordered = false});
  }
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::vector<std::byte> frame(shape.frame_bytes(), std::byte{0x42});
  auto encoder = adaptive_encoder(shape);
  const std::int64_t start = monotonic_ns() + 100'000'000;
  for (std::uint32_t seq = 0; seq < shape.frames(); ++seq) {
    const std::int64_t capture = start + seq * shape.interval().count();
    timer.expires_at(at_ns(capture));
    co_await timer.async_wait(as_tuple);
    if (adaptive) {
      // The target as it stands at capture: a new one applies from the next frame.
      encoder.set_target_rate(c.stats().target_rate * 8);
      frame.assign(std::max(encoder.next_video_frame().bytes, frame_header_bytes), std::byte{0x42});
    }
    write_header(frame.data(), {seq, static_cast<std::uint32_t>(frame.size()), 0, 1, capture});
    auto [ec, id] = co_await c.async_send_message(asio::buffer(frame), at_ns(capture) + deadline, flow, as_tuple);
    if (ec == tern::errc::buffer_full || ec == tern::errc::deadline_passed) {
      ++refused; // the receiver counts it as never delivered
      continue;
    }
    if (ec) {
      std::fprintf(stderr, "tern_frames: send: %s\n", ec.message().c_str());
      co_return;
    }
  }
  // The last frames are in flight until their deadline.
  timer.expires_after(deadline + std::chrono::milliseconds{500});
  co_await timer.async_wait(as_tuple);
  // What the sender saw, to explain the receiver's figures.
  const auto st = c.stats();
  std::fprintf(stderr,
               "tern_frames: sender srtt %.1f ms, min_rtt %.1f ms, cwnd %llu B, pacing %.2f Mbit/s, delivery %.2f "
               "Mbit/s, packets sent %llu lost %llu retransmitted %llu, repair packets %llu bytes %llu, peer "
               "rebuilt %llu\n",
               std::chrono::duration<double, std::milli>(st.srtt).count(),
               std::chrono::duration<double, std::milli>(st.min_rtt).count(),
               static_cast<unsigned long long>(st.cwnd), static_cast<double>(st.pacing_rate) * 8 / 1e6,
               static_cast<double>(st.delivery_rate) * 8 / 1e6, static_cast<unsigned long long>(st.packets_sent),
               static_cast<unsigned long long>(st.packets_lost),
               static_cast<unsigned long long>(st.packets_retransmitted),
               static_cast<unsigned long long>(st.fec_repair_packets_sent),
               static_cast<unsigned long long>(st.fec_repair_bytes_sent),
               static_cast<unsigned long long>(st.fec_peer_packets_recovered));
  c.close(0, "end of stream");
}

// Receives until the sender closes, or `grace` after the last frame's
// capture time (as kernel_frames does), whichever comes first.
asio::awaitable<void> receive_frames(tern::connection c, stream_shape shape, std::chrono::milliseconds grace,
                                     latency_report& report, std::uint64_t& notices) {
  asio::steady_timer end_of_run(co_await asio::this_coro::executor);
  bool armed = false;
  for (;;) {
    auto [ec, m] = co_await c.async_receive_message(as_tuple);
    if (ec) break;
    if (m.dropped) {
      notices += m.count;
      continue;
    }
    const auto h = read_header(m.data.data(), m.data.size());
    if (!h) continue;
    report.delivered(h->seq, h->capture_ns, monotonic_ns());
    if (!armed) {
      armed = true;
      end_of_run.expires_at(at_ns(h->capture_ns) + shape.frames() * shape.interval() + grace);
      end_of_run.async_wait([c](std::error_code wait_ec) mutable {
        if (!wait_ec) c.close(0, "end of run");
      });
    }
  }
  end_of_run.cancel();
}

tern::fec_mode fec(const std::string& name) {
  return name == "off" ? tern::fec_mode::off : tern::fec_mode::adaptive;
}

tern::congestion_controller controller(const std::string& name) {
  if (name == "cubic") return tern::congestion_controller::cubic;
  if (name == "newreno") return tern::congestion_controller::new_reno;
  return tern::congestion_controller::bbr;
}

} // namespace

int main(int argc, char** argv) try {
  CLI::App app{"the paced frame stream over tern deadline messages"};
  app.require_subcommand(1);
  stream_shape shape;
  std::string host, fingerprint, cc = "bbr", fec_name = "adaptive";
  std::uint16_t port = 0;
  int deadline_ms = 400;
  double grace_seconds = 10;
  bool unordered = false, adaptive = false, real_time = false;
  std::string frames_out;
  auto* rs = app.add_subcommand("recv", "accept one connection and receive the stream");
  auto* ss = app.add_subcommand("send", "connect and send the stream");
  ss->add_option("HOST", host, "receiver address")->required();
  for (auto* c : {rs, ss}) {
    c->add_option("PORT", port, "UDP port (recv: 0 picks one)")->required();
    c->add_option("--rate", shape.bits_per_second, "bits per second")->check(CLI::Range(1e3, 1e10));
    c->add_option("--fps", shape.fps, "frames per second")->check(CLI::Range(1, 1000));
    c->add_option("--seconds", shape.seconds, "length of the stream")->check(CLI::Range(0.1, 3600.0));
    c->add_option("--cc", cc, "congestion controller")->check(CLI::IsMember({"bbr", "cubic", "newreno"}));
    // Give both ends the same: off sends no repair and ignores the peer's
    // (docs/fec.md).
    c->add_flag("--real-time", real_time, "config::real_time: queueing delay counts as congestion");
    c->add_option("--fec", fec_name, "forward error correction of the frames (default adaptive)")
        ->check(CLI::IsMember({"off", "adaptive"}));
  }
  rs->add_option("--grace", grace_seconds, "stop this many seconds after the last frame's capture time")
      ->check(CLI::Range(0.0, 600.0));
  ss->add_option("FINGERPRINT", fingerprint, "the receiver's certificate fingerprint, as recv prints it")->required();
  ss->add_option("--deadline", deadline_ms, "ms after capture a frame is still worth delivering")
      ->check(CLI::Range(1, 60000));
  ss->add_flag("--unordered", unordered, "send the frames on an unordered message flow");
  ss->add_flag("--adaptive", adaptive, "frames from the synthetic encoder, following the target rate up to --rate");
  rs->add_option("--frames-out", frames_out, "write one line per delivered frame: seq capture_ns latency_ms");
  TERN_PARSE_COMMAND_LINE(app, "tern_frames", argc, argv);

  asio::io_context io;
  tern::config cfg;
  cfg.congestion = controller(cc);
  cfg.fec = fec(fec_name);
  cfg.real_time = real_time;
  if (*rs) {
    cfg.accept_connections = true;
    tern::endpoint ep(io.get_executor(), {ip::udp::v4(), port}, cfg);
    std::cout << "port " << ep.local_endpoint().port() << "\nfingerprint " << ep.fingerprint() << std::endl;
    latency_report report(shape.frames());
    std::uint64_t notices = 0;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          auto c = co_await ep.async_accept(use_awaitable);
          co_await receive_frames(c, shape, std::chrono::milliseconds{static_cast<long>(grace_seconds * 1000)},
                                  report, notices);
          ep.close();
        },
        asio::detached);
    io.run();
    if (!frames_out.empty() && !report.write_frames(frames_out))
      std::fprintf(stderr, "tern_frames: cannot write %s\n", frames_out.c_str());
    std::printf("%s\n", report.json({{"drop_notices", notices}}).c_str());
    return 0;
  }
  const ip::udp::endpoint to(ip::make_address(host), port);
  tern::endpoint ep(io.get_executor(), {ip::udp::v4(), 0}, cfg);
  std::uint64_t refused = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        tern::connect_options o;
        o.pinned_fingerprints = {fingerprint};
        auto c = co_await ep.async_connect(to, o, use_awaitable);
        co_await send_frames(c, shape, std::chrono::milliseconds{deadline_ms}, unordered, adaptive, refused);
        ep.close();
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  if (refused) std::fprintf(stderr, "tern_frames: %llu frames refused by the send buffer\n",
                            static_cast<unsigned long long>(refused));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "tern_frames: %s\n", e.what());
  return 1;
}
