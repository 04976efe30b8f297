// Bring your own I/O: two tern endpoints, one connection each, driven by a
// hand-written poll(2) loop on plain POSIX UDP sockets. Nothing here needs
// Asio: it builds and runs with TERN_BUILD_ASIO=OFF.
//
// The server and the client run in one process on loopback. The client
// opens a stream, sends a payload and finishes it; the server echoes every
// byte back and finishes its half; the client checks the echo, sends one
// deadline message and one datagram, and closes. Exit status 0 means every
// byte came back intact.
//
//   poll_loop [BYTES]        (default 4 MiB; at most 1 GiB)

#include <tern/sans_io.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace {

using tern::sans_io::event;

tern::time_point now() { return tern::from_steady(std::chrono::steady_clock::now()); }

// A UDP socket bound to 127.0.0.1 on an ephemeral port.
struct udp_socket {
  int fd = -1;
  tern::address local;

  udp_socket() {
    fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      std::perror("socket/bind");
      std::exit(2);
    }
    // Don't fragment: tern's path MTU probes must be dropped, not split, when
    // the path cannot carry them (PROBE also ignores the kernel's own PMTU
    // guess, leaving the sizes to tern).
#ifdef IP_PMTUDISC_PROBE
    const int probe = IP_PMTUDISC_PROBE;
    (void)::setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &probe, sizeof probe);
#endif
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    local = from_sockaddr(a);
  }
  ~udp_socket() { ::close(fd); }
  udp_socket(const udp_socket&) = delete;
  udp_socket& operator=(const udp_socket&) = delete;

  static tern::address from_sockaddr(const sockaddr_in& a) {
    std::array<std::uint8_t, 4> ip{};
    std::memcpy(ip.data(), &a.sin_addr.s_addr, 4); // both in network byte order
    return tern::address::ipv4(ip, ntohs(a.sin_port));
  }

  void send(std::span<const std::byte> bytes, const tern::address& to) const {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    std::memcpy(&a.sin_addr.s_addr, to.ip.data(), 4);
    a.sin_port = htons(to.port);
    // A full socket buffer drops the datagram: tern's loss recovery resends.
    (void)::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }

  // One datagram, or an empty span when none is waiting.
  std::span<const std::byte> receive(std::span<std::byte> buffer, tern::address& from) const {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    const ssize_t n = ::recvfrom(fd, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&a), &len);
    if (n <= 0) return {};
    from = from_sockaddr(a);
    return buffer.first(static_cast<std::size_t>(n));
  }
};

// Sends everything an endpoint (its Retries) and a connection have to send now.
void flush(tern::sans_io::endpoint& ep, tern::sans_io::connection* c, const udp_socket& socket) {
  std::array<std::byte, 1500> out{};
  while (auto t = ep.poll_transmit(out, now())) socket.send(std::span(out).first(t->size), t->to);
  if (!c) return;
  while (auto t = c->poll_transmit(out, now())) socket.send(std::span(out).first(t->size), t->to);
}

// Feeds every waiting datagram to the endpoint; returns a connection the
// datagrams started, if any.
std::unique_ptr<tern::sans_io::connection> receive_all(tern::sans_io::endpoint& ep, const udp_socket& socket) {
  std::unique_ptr<tern::sans_io::connection> accepted;
  std::array<std::byte, 2048> rx{};
  tern::address from;
  while (true) {
    auto d = socket.receive(rx, from);
    if (d.empty()) break;
    auto r = ep.on_datagram(d, from, now());
    if (r.accepted && !accepted) accepted = std::move(r.accepted);
  }
  return accepted;
}

// The server side: keeps the first connection its endpoint accepts, echoes
// stream bytes back.
struct echo_server {
  std::unique_ptr<tern::sans_io::connection> conn;
  std::vector<std::byte> pending; // read but not yet accepted by write()
  std::optional<std::uint64_t> stream;
  bool fin_read = false, fin_sent = false;

  void service() {
    if (!conn) return;
    while (auto e = conn->poll_event()) {
      if (e->what == event::kind::stream_opened && !stream) stream = conn->accept_stream(false);
      if (e->what == event::kind::message_received)
        while (auto m = conn->receive_message(now()))
          std::printf("server: message %llu, %zu bytes\n", static_cast<unsigned long long>(m->id), m->data.size());
      if (e->what == event::kind::datagram_received) {
        std::array<std::byte, 1500> d{};
        while (auto n = conn->receive_datagram(d)) std::printf("server: datagram, %zu bytes\n", *n);
      }
    }
    if (!stream) return;
    std::error_code ec;
    // Echo: write what is pending, then read more only while writes keep up,
    // so a slow path back holds the client's window (flow control end to end).
    while (!pending.empty()) {
      const auto n = conn->write(*stream, pending, ec);
      if (ec || n == 0) break;
      pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
    }
    std::array<std::byte, 16384> buf{};
    while (pending.empty() && !fin_read) {
      const auto r = conn->read(*stream, buf, ec);
      if (ec || (r.bytes == 0 && !r.fin)) break;
      const auto n = conn->write(*stream, std::span(buf).first(r.bytes), ec);
      pending.insert(pending.end(), buf.begin() + static_cast<std::ptrdiff_t>(n), buf.begin() + static_cast<std::ptrdiff_t>(r.bytes));
      fin_read = r.fin;
    }
    if (fin_read && pending.empty() && !fin_sent) fin_sent = !conn->finish(*stream);
  }
};

// The client side: sends the payload, reads the echo, then closes.
struct echo_client {
  std::unique_ptr<tern::sans_io::connection> conn;
  std::vector<std::byte> payload, echoed;
  std::size_t written = 0;
  std::uint64_t stream = 0;
  bool opened = false, fin_sent = false, done = false;

  void service() {
    while (auto e = conn->poll_event()) {
      if (e->what == event::kind::closed) done = true;
    }
    if (!conn->is_established() || done) return;
    std::error_code ec;
    if (!opened) {
      auto id = conn->open_stream(false, ec);
      if (!id) return;
      stream = *id;
      opened = true;
      // A deadline message and a datagram ride beside the stream.
      const std::string note = "frame 1";
      conn->send_message(std::as_bytes(std::span(note)), now() + std::chrono::milliseconds(400), now(), ec);
      conn->send_datagram(std::as_bytes(std::span(note)));
    }
    while (written < payload.size()) {
      const auto n = conn->write(stream, std::span(payload).subspan(written), ec);
      if (ec || n == 0) break;
      written += n;
    }
    if (written == payload.size() && !fin_sent) fin_sent = !conn->finish(stream);
    std::array<std::byte, 16384> buf{};
    for (;;) {
      const auto r = conn->read(stream, buf, ec);
      if (ec) {
        std::fprintf(stderr, "client: read failed: %s\n", ec.message().c_str());
        std::exit(1);
      }
      echoed.insert(echoed.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.bytes));
      if (r.fin) {
        finish_up();
        return;
      }
      if (r.bytes == 0) break;
    }
  }

  void finish_up() {
    conn->close(0, "done", now());
    done = true;
  }
};

} // namespace

constexpr const char* usage = "usage: poll_loop [BYTES]   (an echo of BYTES, default 4194304, at most 1 GiB)";

int main(int argc, char** argv) {
  std::size_t bytes = 4u << 20;
  if (argc > 2) {
    std::fprintf(stderr, "poll_loop: too many arguments (%s)\n", usage);
    return 2;
  }
  if (argc == 2) {
    const std::string_view arg = argv[1];
    if (arg == "--help" || arg == "-h") {
      std::printf("%s\n", usage);
      return 0;
    }
    const auto [end, err] = std::from_chars(arg.data(), arg.data() + arg.size(), bytes);
    if (err != std::errc{} || end != arg.data() + arg.size() || bytes > (std::size_t{1} << 30)) {
      std::fprintf(stderr, "poll_loop: BYTES must be a number of bytes up to 1 GiB, not '%s'\n", argv[1]);
      return 2;
    }
  }

  std::error_code ec;
  tern::config server_cfg;
  server_cfg.accept_connections = true;
  tern::sans_io::endpoint server_ep(server_cfg, ec);
  if (ec) {
    std::fprintf(stderr, "server endpoint: %s\n", ec.message().c_str());
    return 2;
  }
  tern::config client_cfg;
  client_cfg.pinned_fingerprints = {server_ep.fingerprint()};
  tern::sans_io::endpoint client_ep(client_cfg, ec);

  udp_socket server_socket, client_socket;
  echo_server server;
  echo_client client;
  client.payload.resize(bytes);
  for (std::size_t i = 0; i < bytes; ++i) client.payload[i] = static_cast<std::byte>((i * 131) ^ (i >> 9));
  client.conn = client_ep.connect(server_socket.local, {}, now(), ec);
  if (!client.conn) {
    std::fprintf(stderr, "connect: %s\n", ec.message().c_str());
    return 2;
  }

  const auto started = std::chrono::steady_clock::now();
  while (!(client.done && client.conn->is_closed())) {
    if (std::chrono::steady_clock::now() - started > std::chrono::seconds(60)) {
      std::fprintf(stderr, "timed out after 60 s (%zu of %zu bytes echoed)\n", client.echoed.size(), bytes);
      return 1;
    }
    // The loop: send, then sleep in poll() until a socket is readable or the
    // earliest connection timeout (retransmission, ack delay, pacing) is due.
    client.service();
    server.service();
    flush(client_ep, client.conn.get(), client_socket);
    flush(server_ep, server.conn.get(), server_socket);

    const tern::time_point deadline = std::min(client_ep.next_timeout(), server_ep.next_timeout());
    int wait_ms = 100;
    if (deadline != tern::never) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now()).count();
      wait_ms = static_cast<int>(std::clamp<long long>(left, 0, 100));
    }
    std::array<pollfd, 2> fds{{{server_socket.fd, POLLIN, 0}, {client_socket.fd, POLLIN, 0}}};
    ::poll(fds.data(), fds.size(), wait_ms);

    if (auto c = receive_all(server_ep, server_socket); c && !server.conn) server.conn = std::move(c);
    (void)receive_all(client_ep, client_socket);
    // Every due connection runs its timers; the loop services both next turn.
    const auto t = now();
    (void)client_ep.on_timeout(t);
    (void)server_ep.on_timeout(t);
  }

  const auto s = client.conn->stats();
  const bool intact = client.echoed == client.payload;
  std::printf("echoed %zu of %zu bytes %s; srtt %.3f ms, %llu packets sent, %llu lost\n", client.echoed.size(),
              bytes, intact ? "intact" : "CORRUPTED", std::chrono::duration<double, std::milli>(s.srtt).count(),
              static_cast<unsigned long long>(s.packets_sent), static_cast<unsigned long long>(s.packets_lost));
  return intact ? 0 : 1;
}
