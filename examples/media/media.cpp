// Real-time media over one tern connection: 30 fps video-like frames as
// deadline messages (retransmitted until their deadline, then dropped with a
// notice to the receiver) and 50 packets/s audio as unreliable datagrams.
// The sender is adaptive: a synthetic encoder (tools/common/media: a GOP of
// one I-frame and 29 P-frames, 64 kbit/s audio beside it) sets its video
// bitrate from the connection's target rate, following
// async_wait_target_rate. The receiver prints frame-latency percentiles,
// drops and audio counts; the sender its bitrate changes.
//
//   media [seconds]                         sender and receiver in one process
//   media receive [port]                    prints port and fingerprint
//   media send <ip> <port> <fingerprint> [seconds]
//   media --help                            the usage; a bad command line exits 2
//   --fec off|adaptive|fixed                anywhere: forward error correction of
//                                           the frames (config::fec; default adaptive)
//   --reconnect                             anywhere: the sender sends two sessions, the
//                                           second resumed with its first frames in
//                                           the first flight (0-RTT); the receiver
//                                           expects two
//
// Reconnecting: the receiver issues session tickets and accepts early data;
// the sender keeps the ticket of its first connection and connects again
// with it and connect_options::early_data. Its video flow is allowed early
// (message_flow_options::allow_early), so async_connect completes at once
// and the first frames go with the ClientHello, one one-way delay after
// connect instead of one and a half round trips. A frame is harmless if
// replayed (an attacker who captured the flight can only make another
// server show a stale frame); the audio datagrams wait for the handshake.

#include <tern/tern.hpp>

#include "fec_option.hpp"
#include "synthetic_encoder.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

using namespace std::chrono_literals;
using asio::use_awaitable;
using steady = std::chrono::steady_clock;
namespace ip = asio::ip;
constexpr auto as_tuple = asio::experimental::as_tuple(use_awaitable);

namespace {

constexpr const char* usage =
    "usage: media [SECONDS] | media receive [PORT] | media send IP PORT FINGERPRINT [SECONDS]"
    " [--fec off|adaptive|fixed] [--reconnect]";

// A bad command line: one line on stderr, exit status 2 (docs/building.md).
int usage_error(const std::string& what) {
  std::cerr << "media: " << what << " (" << usage << ")\n";
  return 2;
}

// A whole decimal number up to max; "abc" and "5x" are refused.
template <typename T>
bool parse_number(std::string_view text, T max, T& out) {
  const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), out);
  return err == std::errc{} && end == text.data() + text.size() && out <= max;
}

constexpr auto frame_deadline = 150ms;          // a frame later than this is useless

// 30 fps, an I-frame (7.5 P-frames' worth) every second, video between
// 200 kbit/s and 4 Mbit/s starting at 1 Mbit/s; 20 ms audio packets at 64 kbit/s.
tern::media::encoder_config encoder_settings() {
  tern::media::encoder_config e;
  e.fps = 30;
  e.gop = 30;
  e.iframe_scale = 7.5;
  e.min_video_bps = 200'000;
  e.max_video_bps = 4'000'000;
  e.start_video_bps = 1'000'000;
  e.audio_bps = 64'000;
  e.audio_interval = 20ms;
  return e;
}

// Payloads start with the send time (steady_clock ticks) and a sequence number.
void stamp(std::vector<std::byte>& p, std::uint64_t seq) {
  const std::int64_t t = steady::now().time_since_epoch().count();
  std::memcpy(p.data(), &t, 8);
  std::memcpy(p.data() + 8, &seq, 8);
}
steady::duration age(const std::byte* p) {
  std::int64_t t = 0;
  std::memcpy(&t, p, 8);
  return steady::now() - steady::time_point(steady::duration(t));
}

// Takes `flag` out of argv wherever it is; whether it was there.
bool take_flag(int& argc, char** argv, std::string_view flag) {
  for (int i = 1; i < argc; ++i) {
    if (argv[i] != flag) continue;
    for (int j = i; j < argc; ++j) argv[j] = argv[j + 1]; // argv[argc] is null
    --argc;
    return true;
  }
  return false;
}

// How a resumed session's first frames travelled, seen by the receiver.
struct early_report {
  bool resumed = false;
  bool early_data_accepted = false;
  std::uint64_t early_fragments = 0; // message fragments received in 0-RTT packets
};

struct report {
  std::vector<double> frame_ms;
  std::uint64_t frames_dropped = 0;
  std::uint64_t audio = 0;
  std::size_t sessions = 0;
  early_report last_session;
  bool done = false;

  void print() {
    std::sort(frame_ms.begin(), frame_ms.end());
    auto pct = [&](double q) {
      if (frame_ms.empty()) return 0.0;
      return frame_ms[std::min(frame_ms.size() - 1, static_cast<std::size_t>(q * static_cast<double>(frame_ms.size())))];
    };
    std::printf("frames %zu, dropped %llu, latency ms p50 %.2f p90 %.2f p99 %.2f max %.2f; audio packets %llu\n",
                frame_ms.size(), static_cast<unsigned long long>(frames_dropped), pct(0.5), pct(0.9), pct(0.99),
                frame_ms.empty() ? 0.0 : frame_ms.back(), static_cast<unsigned long long>(audio));
    if (sessions > 1)
      std::printf("reconnect: resumed %s, early data accepted %s, frame fragments received in 0-RTT packets %llu\n",
                  last_session.resumed ? "yes" : "no", last_session.early_data_accepted ? "yes" : "no",
                  static_cast<unsigned long long>(last_session.early_fragments));
  }
  // The resumed session's first frames came in 0-RTT packets.
  bool first_frames_early() const {
    return last_session.resumed && last_session.early_data_accepted && last_session.early_fragments > 0;
  }
};

// The video flow (flow 0, what async_send_message without options uses):
// allowed early, so a resumed connection offering early data sends its
// first frames in the first flight. Ignored on a connection without a
// ticket or early_data.
void allow_video_early(tern::connection& c) {
  tern::message_flow_options video;
  video.allow_early = true;
  c.configure_message_flow(0, video);
}

asio::awaitable<void> send_media(tern::connection c, steady::duration length) {
  auto ex = co_await asio::this_coro::executor;
  const auto end = steady::now() + length;
  auto encoder = std::make_shared<tern::media::synthetic_encoder>(encoder_settings());
  // Rate control: the encoder follows the target rate (bytes per second;
  // the encoder counts bits) until the connection ends.
  encoder->set_target_rate(c.stats().target_rate * 8);
  asio::co_spawn(
      ex,
      [c, encoder]() mutable -> asio::awaitable<void> {
        for (;;) {
          auto [ec, rate] = co_await c.async_wait_target_rate(as_tuple);
          if (ec) co_return;
          encoder->set_target_rate(rate * 8);
          std::printf("target %.2f Mbit/s: video %.2f Mbit/s\n", static_cast<double>(rate) * 8e-6,
                      static_cast<double>(encoder->video_bitrate()) * 1e-6);
        }
      },
      asio::detached);
  // Audio: its own loop at 50 packets per second.
  const auto audio_interval = encoder->config().audio_interval;
  const std::size_t audio_bytes = std::max<std::size_t>(16, encoder->audio_packet_bytes());
  asio::co_spawn(
      ex,
      [c, end, audio_interval, audio_bytes]() mutable -> asio::awaitable<void> {
        asio::steady_timer t(co_await asio::this_coro::executor);
        std::vector<std::byte> pkt(audio_bytes);
        for (std::uint64_t seq = 0; steady::now() < end; ++seq) {
          stamp(pkt, seq);
          // An audio packet older than 100 ms is not worth sending.
          auto [ec] = co_await c.async_send_datagram(asio::buffer(pkt), steady::now() + 100ms, as_tuple);
          if (ec && ec != tern::errc::buffer_full) co_return;
          t.expires_after(audio_interval);
          co_await t.async_wait(use_awaitable);
        }
      },
      asio::detached);
  asio::steady_timer t(ex);
  auto next = steady::now();
  std::vector<std::byte> frame;
  const auto frame_interval = encoder->frame_interval();
  for (std::uint64_t n = 0; steady::now() < end; ++n) {
    const tern::media::video_frame f = encoder->next_video_frame();
    frame.assign(std::max<std::size_t>(16, f.bytes), std::byte{0x42});
    stamp(frame, n);
    auto [ec, id] = co_await c.async_send_message(asio::buffer(frame), steady::now() + frame_deadline, as_tuple);
    if (ec && ec != tern::errc::buffer_full) co_return;
    next += frame_interval;
    t.expires_at(next);
    co_await t.async_wait(use_awaitable);
  }
  t.expires_after(300ms); // let the last frames land
  co_await t.async_wait(use_awaitable);
}

// One media session per connection; with `reconnect`, a second one resumed
// with the first's ticket and early data, its first frames in the first
// flight.
asio::awaitable<void> send_sessions(tern::endpoint& ep, ip::udp::endpoint to, tern::connect_options o,
                                    steady::duration length, bool reconnect) {
  auto c = co_await ep.async_connect(to, o, use_awaitable);
  allow_video_early(c);
  co_await send_media(c, length);
  const std::vector<std::byte> ticket = c.session_ticket(); // arrived after the handshake
  c.close(0, "end of media");
  if (!reconnect) co_return;
  o.session_ticket = ticket;
  o.early_data = true;
  // Completes at once when the ticket is offered: 0-RTT keys.
  auto again = co_await ep.async_connect(to, o, use_awaitable);
  allow_video_early(again);
  co_await send_media(again, length);
  again.close(0, "end of media");
}

asio::awaitable<void> receive_media(tern::connection c, report& r) {
  // Keep co_await out of the co_spawn expression: GCC 12 destroys a capture
  // of a lambda built in the same full-expression as a co_await twice (a
  // tern::connection here, so its reference count went one short).
  auto ex = co_await asio::this_coro::executor;
  asio::co_spawn(
      ex,
      [c, &r]() mutable -> asio::awaitable<void> {
        std::array<std::byte, 2048> buf;
        for (;;) {
          auto [ec, n] = co_await c.async_receive_datagram(asio::buffer(buf), as_tuple);
          if (ec) co_return;
          if (n >= 16) ++r.audio;
        }
      },
      asio::detached);
  for (;;) {
    auto [ec, m] = co_await c.async_receive_message(as_tuple);
    if (ec) break;
    if (m.dropped) {
      r.frames_dropped += m.count;
    } else if (m.data.size() >= 16) {
      r.frame_ms.push_back(std::chrono::duration<double, std::milli>(age(m.data.data())).count());
    }
  }
  ++r.sessions;
  r.last_session = {c.resumed(), c.early_data_accepted(), c.stats().early_message_fragments_received};
}

// Receives `sessions` media sessions one after the other.
asio::awaitable<void> receive_sessions(tern::endpoint& ep, std::size_t sessions, report& r) {
  for (std::size_t i = 0; i < sessions; ++i) {
    auto c = co_await ep.async_accept(use_awaitable);
    co_await receive_media(c, r);
  }
  r.done = true;
}

// Receiver settings: tickets issued and early data accepted, so a sender
// that reconnects resumes and sends its first frames early.
tern::config receiver_config(tern::fec_mode fec) {
  tern::config cfg;
  cfg.accept_connections = true;
  cfg.fec = fec;
  cfg.session_tickets = true;
  cfg.accept_early_data = true;
  return cfg;
}

// Sender settings: the tickets the receiver sends are kept.
tern::config sender_config(tern::fec_mode fec) {
  tern::config cfg;
  cfg.fec = fec;
  cfg.session_tickets = true;
  return cfg;
}

} // namespace

int main(int argc, char** argv) try {
  asio::io_context io;
  tern::fec_mode fec = tern::config{}.fec;
  if (const std::string bad = media_example::take_fec_option(argc, argv, fec); !bad.empty()) return usage_error(bad);
  const bool reconnect = take_flag(argc, argv, "--reconnect");
  const std::size_t sessions = reconnect ? 2 : 1;
  const std::string mode = argc > 1 && !std::isdigit(static_cast<unsigned char>(argv[1][0])) ? argv[1] : "demo";
  if (mode == "--help" || mode == "-h") {
    std::cout << usage << "\n";
    return 0;
  }
  if (mode != "receive" && mode != "send" && mode != "demo")
    return usage_error("unknown mode '" + mode + "'");
  // Seconds of media: 1 to an hour.
  auto parse_seconds = [](const char* text, std::chrono::seconds& out) {
    unsigned s = 0;
    if (!parse_number(text, 3600u, s) || s == 0) return false;
    out = std::chrono::seconds(s);
    return true;
  };

  if (mode == "receive") {
    const tern::config cfg = receiver_config(fec);
    unsigned short port = 0;
    if (argc > 3) return usage_error("too many arguments");
    if (argc > 2 && !parse_number(argv[2], std::uint16_t{65535}, port))
      return usage_error("bad port '" + std::string{argv[2]} + "'");
    tern::endpoint ep(io.get_executor(), {ip::udp::v6(), port}, cfg);
    std::cout << "port " << ep.local_endpoint().port() << "\nfingerprint " << ep.fingerprint() << std::endl;
    report r;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await receive_sessions(ep, sessions, r);
          r.print();
          ep.close();
        },
        asio::detached);
    io.run();
    return 0;
  }
  if (mode == "send") {
    if (argc < 5) return usage_error("send needs IP PORT FINGERPRINT");
    if (argc > 6) return usage_error("too many arguments");
    std::error_code ec;
    const auto address = ip::make_address(argv[2], ec);
    if (ec) return usage_error("bad IP address '" + std::string{argv[2]} + "'");
    unsigned short port = 0;
    if (!parse_number(argv[3], std::uint16_t{65535}, port) || port == 0)
      return usage_error("bad port '" + std::string{argv[3]} + "'");
    auto length = std::chrono::seconds(5);
    if (argc > 5 && !parse_seconds(argv[5], length))
      return usage_error("bad SECONDS '" + std::string{argv[5]} + "'");
    const ip::udp::endpoint to(address, port);
    const tern::config cfg = sender_config(fec);
    tern::endpoint ep(io.get_executor(), {to.address().is_v4() ? ip::udp::v4() : ip::udp::v6(), 0}, cfg);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          tern::connect_options o;
          o.pinned_fingerprints = {argv[4]};
          co_await send_sessions(ep, to, o, length, reconnect);
          ep.close();
        },
        asio::detached);
    io.run();
    return 0;
  }

  // Demo: both ends in one process.
  auto length = std::chrono::seconds(2);
  if (argc > 2) return usage_error("too many arguments");
  if (argc > 1 && !parse_seconds(argv[1], length))
    return usage_error("bad SECONDS '" + std::string{argv[1]} + "'");
  tern::endpoint receiver(io.get_executor(), {ip::make_address("127.0.0.1"), 0}, receiver_config(fec));
  tern::endpoint sender(io.get_executor(), {ip::make_address("127.0.0.1"), 0}, sender_config(fec));
  report r;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await receive_sessions(receiver, sessions, r);
        receiver.close();
      },
      asio::detached);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        tern::connect_options o;
        o.pinned_fingerprints = {receiver.fingerprint()};
        co_await send_sessions(sender, receiver.local_endpoint(), o, length, reconnect);
        sender.close();
      },
      asio::detached);
  io.run_for(static_cast<int>(sessions) * (length + 60s));
  r.print();
  // Loopback loses nothing: expect (nearly) every frame and audio packet;
  // after a reconnect, the resumed session's first frames in its first flight.
  const double expected_frames = std::chrono::duration<double>(length).count() * 30 * static_cast<double>(sessions);
  bool ok = r.done && static_cast<double>(r.frame_ms.size()) >= 0.9 * expected_frames && r.audio > 0;
  if (reconnect && !r.first_frames_early()) {
    std::cerr << "media: the reconnect's first frames did not travel in its first flight\n";
    ok = false;
  }
  return ok ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "media: " << e.what() << "\n";
  return 1;
}
