// The frame stream over kernel transports, for the comparison with tern:
//
//   kernel_frames tcp-recv PORT [shape]        prints "listening PORT", then one JSON line
//   kernel_frames tcp-send HOST PORT [shape] [--cc cubic|bbr]
//   kernel_frames udp-recv PORT [shape] [--idle SECONDS]
//   kernel_frames udp-send HOST PORT [shape]
//
// shape: --rate BITS_PER_SECOND --fps N --seconds S (the same on both ends).
// A receiver stops --grace seconds after the last frame's capture time:
// frames still missing then count as never delivered, so a transport that
// cannot keep up (its queue, and the latency, growing without bound) ends
// the run in bounded time. TCP carries each frame whole, with TCP_NODELAY as media senders set it;
// UDP cuts frames into datagrams of at most 1316 bytes (the SRT live-mode
// payload), so srt-live-transmit can carry them one SRT packet each. A UDP
// frame counts as delivered once all its pieces arrived.

#include "frame_stream.hpp"

#include "cli_exit.hpp"

#include <CLI/CLI.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

using namespace tern::bench;

namespace {

constexpr std::size_t max_datagram = 1316;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

sockaddr_in ipv4(const std::string& host, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) throw std::runtime_error("bad IPv4 address: " + host);
  return a;
}

int bound_socket(int type, std::uint16_t port) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  const int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  const auto a = ipv4("0.0.0.0", port);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) fail("bind");
  return fd;
}

// False when the receiver has gone (it stops at the end of its run).
bool write_all(int fd, const std::byte* p, std::size_t n) {
  while (n > 0) {
    const ssize_t k = ::send(fd, p, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0 && (errno == EPIPE || errno == ECONNRESET)) return false;
    if (k <= 0) fail("send");
    p += k;
    n -= static_cast<std::size_t>(k);
  }
  return true;
}

// Reads n bytes unless the stream ends or `end_ns` (CLOCK_MONOTONIC) comes first.
bool read_all(int fd, std::byte* p, std::size_t n, std::int64_t end_ns) {
  while (n > 0) {
    pollfd w{fd, POLLIN, 0};
    const std::int64_t left_ms = (end_ns - monotonic_ns()) / 1'000'000;
    if (left_ms <= 0 || ::poll(&w, 1, static_cast<int>(std::min<std::int64_t>(left_ms, 1'000'000))) == 0) return false;
    const ssize_t k = ::recv(fd, p, n, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    p += k;
    n -= static_cast<std::size_t>(k);
  }
  return true;
}

// When a receiver stops: `grace` after the capture of the last frame.
std::int64_t end_of_run(const frame_header& first, const stream_shape& shape, double grace) {
  return first.capture_ns + static_cast<std::int64_t>(shape.frames()) * shape.interval().count() +
         static_cast<std::int64_t>(grace * 1e9);
}

constexpr std::int64_t no_end = INT64_MAX;

// Calls send_frame(seq, capture_ns) at each frame's capture time, until it
// returns false.
template <class Send>
void paced(const stream_shape& shape, Send send_frame) {
  const std::int64_t start = monotonic_ns() + 100'000'000; // a moment for the receiver to settle
  for (std::uint32_t seq = 0; seq < shape.frames(); ++seq) {
    const std::int64_t capture = start + seq * shape.interval().count();
    sleep_until_ns(capture);
    if (!send_frame(seq, capture)) return;
  }
}

void tcp_send(const std::string& host, std::uint16_t port, const stream_shape& shape, const std::string& cc) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  if (!cc.empty() && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc.data(), static_cast<socklen_t>(cc.size())) != 0)
    fail("TCP_CONGESTION " + cc + " (see /proc/sys/net/ipv4/tcp_available_congestion_control)");
  const auto to = ipv4(host, port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) fail("connect");
  std::vector<std::byte> frame(shape.frame_bytes(), std::byte{0x42});
  bool receiver_stopped = false;
  paced(shape, [&](std::uint32_t seq, std::int64_t capture) {
    write_header(frame.data(), {seq, static_cast<std::uint32_t>(frame.size()), 0, 1, capture});
    receiver_stopped = !write_all(fd, frame.data(), frame.size());
    return !receiver_stopped;
  });
  if (receiver_stopped) std::fprintf(stderr, "kernel_frames: the receiver stopped before the stream ended\n");
  ::shutdown(fd, SHUT_WR);
  std::byte sink[64];
  while (::recv(fd, sink, sizeof sink, 0) > 0) { // until the receiver has read everything and closed
  }
  ::close(fd);
}

void tcp_recv(std::uint16_t port, const stream_shape& shape, double grace) {
  const int lfd = bound_socket(SOCK_STREAM, port);
  if (::listen(lfd, 1) != 0) fail("listen");
  std::printf("listening %u\n", port);
  std::fflush(stdout);
  const int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) fail("accept");
  latency_report report(shape.frames());
  std::vector<std::byte> buf(frame_header_bytes);
  std::int64_t end = no_end;
  for (;;) {
    if (!read_all(fd, buf.data(), frame_header_bytes, end)) break;
    const auto h = read_header(buf.data(), frame_header_bytes);
    if (!h) throw std::runtime_error("tcp-recv: the stream is not a frame stream");
    if (end == no_end) end = end_of_run(*h, shape, grace);
    buf.resize(h->size);
    if (!read_all(fd, buf.data() + frame_header_bytes, h->size - frame_header_bytes, end)) break;
    report.delivered(h->capture_ns, monotonic_ns());
    buf.resize(frame_header_bytes);
  }
  ::close(fd);
  ::close(lfd);
  std::printf("%s\n", report.json().c_str());
}

void udp_send(const std::string& host, std::uint16_t port, const stream_shape& shape) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  const auto to = ipv4(host, port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) fail("connect");
  const std::size_t size = shape.frame_bytes();
  const std::size_t piece = max_datagram - frame_header_bytes;
  const auto chunks = static_cast<std::uint16_t>((size - frame_header_bytes + piece - 1) / piece);
  std::vector<std::byte> dgram(max_datagram, std::byte{0x42});
  paced(shape, [&](std::uint32_t seq, std::int64_t capture) {
    for (std::uint16_t c = 0; c < chunks; ++c) {
      const std::size_t body = std::min(piece, size - frame_header_bytes - c * piece);
      write_header(dgram.data(), {seq, static_cast<std::uint32_t>(size), c, chunks, capture});
      // A full socket buffer loses the piece, as a live encoder would.
      (void)::send(fd, dgram.data(), frame_header_bytes + body, 0);
    }
    return true;
  });
  ::close(fd);
}

void udp_recv(std::uint16_t port, const stream_shape& shape, double idle_seconds, double grace,
              const std::string& frames_out) {
  const int fd = bound_socket(SOCK_DGRAM, port);
  const int size = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  std::printf("listening %u\n", port);
  std::fflush(stdout);
  latency_report report(shape.frames());
  std::map<std::uint32_t, std::uint16_t> pieces_seen; // frames still incomplete
  std::vector<bool> done(shape.frames());
  std::vector<std::byte> buf(65536);
  std::int64_t end = no_end;
  // Until every frame arrived, the end of the run, or nothing came for
  // idle_seconds after the first piece.
  while (report.count() < shape.frames() && monotonic_ns() < end) {
    pollfd p{fd, POLLIN, 0};
    const int timeout = end != no_end ? static_cast<int>(idle_seconds * 1000) : 60'000;
    if (::poll(&p, 1, timeout) <= 0) break;
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) continue;
    const auto h = read_header(buf.data(), static_cast<std::size_t>(n));
    if (!h || h->seq >= done.size() || done[h->seq]) continue;
    if (end == no_end) end = end_of_run(*h, shape, grace);
    if (++pieces_seen[h->seq] == h->chunks) { // pieces are not duplicated by SRT, so a count suffices
      done[h->seq] = true;
      pieces_seen.erase(h->seq);
      report.delivered(h->seq, h->capture_ns, monotonic_ns());
    }
  }
  ::close(fd);
  if (!frames_out.empty() && !report.write_frames(frames_out))
    std::fprintf(stderr, "kernel_frames: cannot write %s\n", frames_out.c_str());
  std::printf("%s\n", report.json().c_str());
}

} // namespace

int main(int argc, char** argv) try {
  CLI::App app{"the paced frame stream over kernel TCP or UDP"};
  app.require_subcommand(1);
  stream_shape shape;
  std::string host, cc, frames_out;
  std::uint16_t port = 0;
  double idle = 3, grace = 10;
  auto add_shape = [&](CLI::App* c) {
    c->add_option("--rate", shape.bits_per_second, "bits per second")->check(CLI::Range(1e3, 1e10));
    c->add_option("--fps", shape.fps, "frames per second")->check(CLI::Range(1, 1000));
    c->add_option("--seconds", shape.seconds, "length of the stream")->check(CLI::Range(0.1, 3600.0));
  };
  auto* ts = app.add_subcommand("tcp-send", "send the stream over TCP");
  auto* tr = app.add_subcommand("tcp-recv", "receive it over TCP");
  auto* us = app.add_subcommand("udp-send", "send the stream as UDP datagrams of at most 1316 bytes");
  auto* ur = app.add_subcommand("udp-recv", "receive the UDP datagrams");
  for (auto* c : {ts, us}) c->add_option("HOST", host, "receiver IPv4 address")->required();
  for (auto* c : {ts, tr, us, ur}) {
    c->add_option("PORT", port, "port")->required();
    add_shape(c);
  }
  for (auto* c : {tr, ur})
    c->add_option("--grace", grace, "stop this many seconds after the last frame's capture time")
        ->check(CLI::Range(0.0, 600.0));
  ts->add_option("--cc", cc, "TCP congestion control (TCP_CONGESTION), e.g. cubic or bbr");
  ur->add_option("--frames-out", frames_out, "write one line per delivered frame: seq capture_ns latency_ms");
  ur->add_option("--idle", idle, "give up after this many seconds without a datagram")->check(CLI::Range(0.1, 600.0));
  TERN_PARSE_COMMAND_LINE(app, "kernel_frames", argc, argv);
  if (*ts) tcp_send(host, port, shape, cc);
  if (*tr) tcp_recv(port, shape, grace);
  if (*us) udp_send(host, port, shape);
  if (*ur) udp_recv(port, shape, idle, grace, frames_out);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "kernel_frames: %s\n", e.what());
  return 1;
}
