// tern-bench-handshake-flood: a handshake flood on real sockets against an
// Asio tern endpoint, and whether a legitimate client still gets in
// (docs/security.md, issue 17's target: 10,000 Initials per second from
// 1,000 source ports; a legitimate client connects within 1 s; the server's
// RSS stays under 100 MB).
//
//   tern-bench-handshake-flood [--rate N] [--ports N] [--hosts N]
//                              [--seconds S] [--connects N] [--answer-retries]
//
// The server runs in a child process with the default tern::config (so its
// RSS is its own). The flood is authentic: every datagram is a real client
// Initial (a ClientHello under the Initial keys of a fresh random connection
// ID), generated before the flood starts, so each one passes the server's
// authentication and costs it what a spoofing attacker's would. The flood
// comes from `ports` UDP sockets spread over `hosts` loopback addresses
// (127.2.0.1, 127.2.0.2, ...), which never answer a Retry, or with
// --answer-retries do, as a real client would: each Retry is read and its
// Initial sent again to the server's new connection ID with the token
// (same ClientHello, protected again), so the flood passes address
// validation; the server's answers to those are read and dropped (the
// flooders never finish a handshake). Meanwhile a
// legitimate client on 127.0.0.1 connects `connects` times, one after the
// other, spread over the flood, each time to a completed handshake.
//
// Prints one JSON object; exits 1 if a legitimate connection failed.

#include "core/endpoint.hpp"
#include "core/packet_protection.hpp"
#include "crypto/aead.hpp"
#include "crypto/tls_session.hpp"
#include "wire/header.hpp"
#include "wire/packet_number.hpp"
#include "wire/writer.hpp"

#include <tern/tern.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_future.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <netinet/in.h>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

struct options {
  std::size_t rate = 10000;
  std::size_t ports = 1000;
  std::size_t hosts = 100;
  double seconds = 10;
  std::size_t connects = 10;
  bool answer_retries = false;
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "tern-bench-handshake-flood: " << why
            << "\nusage: tern-bench-handshake-flood [--rate N] [--ports N] [--hosts N] [--seconds S] [--connects N] "
               "[--answer-retries]\n";
  std::exit(2);
}

template <class T>
T parse_number(std::string_view name, const char* text, T low, T high) {
  T v{};
  const std::string_view s = text;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v < low || v > high)
    usage(std::string(name) + ": expected a number from " + std::to_string(low) + " to " + std::to_string(high));
  return v;
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--answer-retries") {
      o.answer_retries = true;
      continue;
    }
    if (i + 1 >= argc) usage("missing value after " + std::string(a));
    const char* v = argv[++i];
    if (a == "--rate") o.rate = parse_number<std::size_t>(a, v, 1, 1'000'000);
    else if (a == "--ports") o.ports = parse_number<std::size_t>(a, v, 1, 20'000);
    else if (a == "--hosts") o.hosts = parse_number<std::size_t>(a, v, 1, 65'000);
    else if (a == "--seconds") o.seconds = parse_number<double>(a, v, 0.1, 600);
    else if (a == "--connects") o.connects = parse_number<std::size_t>(a, v, 1, 1000);
    else usage("unknown option " + std::string(a));
  }
  o.hosts = std::min(o.hosts, o.ports);
  return o;
}

/// One line of /proc/<pid>/status, in kB ("VmRSS", "VmHWM"); -1 if absent.
long status_kb(pid_t pid, std::string_view key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(key) && line.size() > key.size() && line[key.size()] == ':')
      return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
  return -1;
}

/// CPU seconds (user + system) `pid` has used; -1 if unreadable.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  const auto close = stat.rfind(')'); // the command name may hold spaces
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) fields >> skip; // state .. cmajflt: fields 3 to 13
  unsigned long long user = 0, system = 0;
  if (!(fields >> user >> system)) return -1;
  return static_cast<double>(user + system) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// --- the server, in the child process ------------------------------------

/// Serves on 127.0.0.1 with the default config, accepting and keeping every
/// connection; writes "<port> <fingerprint>\n" to `out`, and on SIGTERM its
/// endpoint counters as JSON, then exits.
[[noreturn]] void run_server(int out) {
  (void)::prctl(PR_SET_PDEATHSIG, SIGTERM); // never outlive the bench
  asio::io_context io;
  tern::config cfg;
  cfg.accept_connections = true;
  tern::endpoint ep(io.get_executor(), {asio::ip::make_address("127.0.0.1"), 0}, cfg);
  const std::string hello = std::to_string(ep.local_endpoint().port()) + " " + ep.fingerprint() + "\n";
  if (::write(out, hello.data(), hello.size()) != static_cast<ssize_t>(hello.size())) std::_Exit(1);
  std::vector<tern::connection> kept;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    for (;;) kept.push_back(co_await ep.async_accept(asio::use_awaitable));
  }, asio::detached);
  // Sampled every 10 ms: the most handshakes in progress at once.
  std::size_t half_open_peak = 0;
  asio::steady_timer sample(io);
  std::function<void(std::error_code)> on_sample = [&](std::error_code) {
    half_open_peak = std::max(half_open_peak, ep.info().half_open);
    sample.expires_after(10ms);
    sample.async_wait(on_sample);
  };
  on_sample({});
  asio::signal_set stop(io, SIGTERM);
  stop.async_wait([&](std::error_code, int) {
    const auto i = ep.info();
    const nlohmann::json j = {{"datagrams_received", i.datagrams_received}, {"datagrams_dropped", i.datagrams_dropped},
                              {"retries_sent", i.retries_sent},             {"initials_over_limit", i.initials_over_limit},
                              {"initials_refused", i.initials_refused},     {"half_open", i.half_open},
                              {"half_open_peak", half_open_peak},           {"handshakes_displaced", i.handshakes_displaced},
                              {"connections", i.connections},
                              {"accepted", kept.size()}};
    const std::string s = j.dump() + "\n";
    (void)!::write(out, s.data(), s.size());
    std::_Exit(0);
  });
  io.run();
  std::_Exit(1);
}

// --- the flood -------------------------------------------------------------

/// One flood Initial as sent, and what answering a Retry for it takes.
struct flood_initial {
  std::vector<std::byte> packet;    ///< protected, as sent first
  tern::wire::packet_header header; ///< its header (token empty); views nothing
  std::vector<std::byte> frames;    ///< its plaintext payload (the ClientHello, padding)
};

/// The payload of `packet` (a client Initial) in the clear.
std::vector<std::byte> open_initial(std::vector<std::byte> packet, tern::wire::packet_header& header) {
  using namespace tern;
  wire::decoded_header layout;
  if (wire::decode_header_layout(packet, 8, layout)) throw std::runtime_error("undecodable Initial");
  core::packet_protection keys;
  if (keys.install_handshake(crypto::tls_role::server, layout.header.dcid.bytes()))
    throw std::runtime_error("Initial keys");
  const std::span<std::byte> p = std::span(packet).first(layout.packet_length);
  if (keys.remove_header_protection(wire::packet_type::initial, p, layout.packet_number_offset)) throw std::runtime_error("header protection");
  wire::decoded_header clear;
  if (wire::decode_header(p, 8, clear)) throw std::runtime_error("Initial header");
  std::span<std::byte> plain;
  if (keys.open(wire::packet_type::initial, false, clear.header.packet_number, p, clear.header_length, time_point{}, plain))
    throw std::runtime_error("cannot open an Initial");
  header = clear.header;
  header.token = {};
  return {plain.begin(), plain.end()};
}

/// The Initial a client sends after the Retry `retry`: to the Retry's
/// source connection ID, with its token, the same frames, packet number 1,
/// still under the keys of the original DCID (as tern's clients do). Empty
/// if `retry` is not a Retry for `initial`.
std::size_t answer_retry(const flood_initial& initial, std::span<const std::byte> retry, std::span<std::byte> out) {
  using namespace tern;
  wire::decoded_header r;
  if (wire::decode_header_layout(retry, 8, r) || r.header.type != wire::packet_type::retry ||
      r.header.dcid != initial.header.scid || r.header.token.empty())
    return 0;
  wire::packet_header h = initial.header;
  h.dcid = r.header.scid;
  h.token = r.header.token;
  h.packet_number = 1;
  const std::size_t payload = initial.frames.size() + crypto::aead_tag_length;
  wire::writer w(out);
  if (wire::encode_header(w, h, payload, 2)) return 0;
  const std::size_t header_length = w.position();
  if (header_length + payload > out.size()) return 0;
  std::copy(initial.frames.begin(), initial.frames.end(), out.begin() + static_cast<std::ptrdiff_t>(header_length));
  core::packet_protection keys;
  if (keys.install_handshake(crypto::tls_role::client, initial.header.dcid.bytes())) return 0;
  if (keys.seal(wire::packet_type::initial, 1, out.first(header_length + payload), header_length, header_length - wire::packet_number_length))
    return 0;
  return header_length + payload;
}

/// `count` authentic client Initials, each for a fresh connection ID; with
/// `answerable`, each with what answering its Retry takes.
std::vector<flood_initial> make_initials(std::size_t count, bool answerable) {
  using namespace tern;
  std::error_code ec;
  core::connection_config cfg;
  cfg.tls.peer.accept_any = true; // never checked: no answer is read
  core::endpoint_config side;
  side.connection = cfg;
  auto tls = crypto::tls_context::create(crypto::tls_role::client, cfg.tls, ec);
  if (ec) throw std::system_error(ec, "client TLS context");
  auto rng = random_source::unpredictable();
  core::endpoint clients(side, rng);
  const auto server = address::ipv4({127, 0, 0, 1}, 443);
  std::vector<flood_initial> out;
  out.reserve(count);
  std::vector<std::byte> buf(1500);
  const time_point now{std::chrono::seconds(1)};
  while (out.size() < count) {
    core::connection_handle h = core::no_connection;
    auto c = clients.connect(server, tls, now, ec, h);
    if (!c) throw std::system_error(ec, "client connection");
    if (auto t = c->poll_transmit(buf, now)) {
      flood_initial& i = out.emplace_back();
      i.packet.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(t->size));
      if (answerable) i.frames = open_initial(i.packet, i.header);
    }
    clients.remove(h);
  }
  return out;
}

/// UDP sockets on 127.2.x.y: `ports` of them over `hosts` addresses.
std::vector<int> flood_sockets(const options& o) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &lim);
  }
  std::vector<int> fds;
  for (std::size_t i = 0; i < o.ports; ++i) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
    // Without --answer-retries the Retries it gets are never read.
    const int buffer = o.answer_retries ? 256 * 1024 : 4096;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    const std::uint32_t host = static_cast<std::uint32_t>(i % o.hosts) + 1;
    a.sin_addr.s_addr = htonl((127u << 24) | (2u << 16) | host);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::system_error(errno, std::generic_category(), "bind 127.2.x.y");
    fds.push_back(fd);
  }
  return fds;
}

/// Reads every datagram waiting on the flood sockets: a Retry for one of
/// the Initials is answered as its client would; the rest (the server's
/// handshake flights to validated flooders) is read and dropped.
struct retry_answerer {
  const std::vector<int>& fds;
  const std::vector<flood_initial>& initials;
  std::unordered_map<std::string, std::size_t> by_scid; ///< SCID bytes -> index in initials
  int epoll_fd = -1;
  sockaddr_in server{};
  std::size_t retries_answered = 0;
  std::size_t other_datagrams = 0;
  std::vector<std::byte> in = std::vector<std::byte>(2048), out = std::vector<std::byte>(1600);

  retry_answerer(const std::vector<int>& f, const std::vector<flood_initial>& i, std::uint16_t port)
      : fds(f), initials(i) {
    for (std::size_t k = 0; k < initials.size(); ++k) {
      const auto id = initials[k].header.scid.bytes();
      by_scid.emplace(std::string(reinterpret_cast<const char*>(id.data()), id.size()), k);
    }
    epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    for (std::size_t k = 0; k < fds.size(); ++k) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = k;
      if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fds[k], &ev) != 0)
        throw std::system_error(errno, std::generic_category(), "epoll_ctl");
    }
    server.sin_family = AF_INET;
    server.sin_port = htons(port);
    server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
  ~retry_answerer() {
    if (epoll_fd >= 0) ::close(epoll_fd);
  }

  void drain() {
    std::array<epoll_event, 256> ready;
    for (;;) {
      const int n = ::epoll_wait(epoll_fd, ready.data(), static_cast<int>(ready.size()), 0);
      if (n <= 0) return;
      for (int k = 0; k < n; ++k) {
        const int fd = fds[ready[static_cast<std::size_t>(k)].data.u64];
        for (;;) {
          const ssize_t got = ::recv(fd, in.data(), in.size(), 0);
          if (got <= 0) break;
          const auto datagram = std::span(in).first(static_cast<std::size_t>(got));
          tern::wire::decoded_header r;
          if (tern::wire::decode_header_layout(datagram, 8, r) || r.header.type != tern::wire::packet_type::retry) {
            ++other_datagrams;
            continue;
          }
          const auto id = r.header.dcid.bytes();
          const auto it = by_scid.find(std::string(reinterpret_cast<const char*>(id.data()), id.size()));
          if (it == by_scid.end()) continue;
          if (const std::size_t len = answer_retry(initials[it->second], datagram, out); len > 0 &&
              ::sendto(fd, out.data(), len, 0, reinterpret_cast<const sockaddr*>(&server), sizeof server) ==
                  static_cast<ssize_t>(len))
            ++retries_answered;
        }
      }
    }
  }
};

struct flood_result {
  std::size_t sent = 0;
  std::size_t refused_by_kernel = 0; // EAGAIN and the like
  double seconds = 0;
};

/// Sends the Initials round-robin over the sockets at `rate` per second,
/// in 1 ms slices, until `stop`; with `answerer`, answers the Retries
/// between slices.
flood_result flood(const options& o, const std::vector<int>& fds, const std::vector<flood_initial>& initials,
                   std::uint16_t port, const std::atomic<bool>& stop, retry_answerer* answerer) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  flood_result r;
  const auto start = clock_type::now();
  std::size_t next = 0;
  while (!stop.load(std::memory_order_relaxed)) {
    const double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
    const auto due = static_cast<std::size_t>(elapsed * static_cast<double>(o.rate));
    for (; r.sent + r.refused_by_kernel < due; ++next) {
      const auto& d = initials[next % initials.size()].packet;
      const ssize_t n = ::sendto(fds[next % fds.size()], d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
      (n == static_cast<ssize_t>(d.size()) ? r.sent : r.refused_by_kernel)++;
    }
    if (answerer) answerer->drain();
    std::this_thread::sleep_for(1ms);
  }
  r.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  return r;
}

// --- the legitimate client ---------------------------------------------------

/// Connects `count` times, `every` apart, each to a completed handshake or
/// a 10 s timeout; returns the seconds each took (negative: failed).
std::vector<double> legitimate_connects(std::uint16_t port, const std::string& fingerprint, std::size_t count,
                                        std::chrono::milliseconds every) {
  asio::io_context io;
  tern::config cfg;
  cfg.pinned_fingerprints = {fingerprint};
  cfg.handshake_timeout = 10s;
  tern::endpoint ep(io.get_executor(), {asio::ip::make_address("127.0.0.1"), 0}, cfg);
  std::vector<double> took;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    asio::steady_timer wait(io);
    for (std::size_t i = 0; i < count; ++i) {
      wait.expires_after(every);
      co_await wait.async_wait(asio::use_awaitable);
      const auto t0 = clock_type::now();
      try {
        auto c = co_await ep.async_connect({asio::ip::make_address("127.0.0.1"), port}, asio::use_awaitable);
        took.push_back(std::chrono::duration<double>(clock_type::now() - t0).count());
        c.close();
      } catch (const std::system_error& e) {
        std::cerr << "tern-bench-handshake-flood: legitimate connect " << i << " failed: " << e.what() << "\n";
        took.push_back(-1);
      }
    }
    ep.close(); // its pending receive would keep run() going
  }, asio::detached);
  io.run();
  return took;
}

} // namespace

int main(int argc, char** argv) try {
  const options o = parse(argc, argv);
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  const pid_t server = ::fork();
  if (server < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (server == 0) {
    ::close(pipe_fds[0]);
    run_server(pipe_fds[1]);
  }
  ::close(pipe_fds[1]);
  struct reaper { // a failure below must not leave the server running
    pid_t pid;
    ~reaper() {
      if (pid > 0) ::kill(pid, SIGKILL);
    }
  } server_guard{server};
  FILE* from_server = ::fdopen(pipe_fds[0], "r");
  char line[512];
  if (!std::fgets(line, sizeof line, from_server)) throw std::runtime_error("the server did not start");
  std::uint16_t port = 0;
  char fingerprint[256] = {};
  if (std::sscanf(line, "%hu %255s", &port, fingerprint) != 2) throw std::runtime_error("bad line from the server");
  const long rss_idle_kb = status_kb(server, "VmRSS");
  const double cpu_idle = cpu_seconds(server);

  const auto pool_size = std::min<std::size_t>(static_cast<std::size_t>(static_cast<double>(o.rate) * o.seconds), 200'000);
  const auto initials = make_initials(pool_size, o.answer_retries);
  const auto fds = flood_sockets(o);
  std::optional<retry_answerer> answerer;
  if (o.answer_retries) answerer.emplace(fds, initials, port);

  const auto baseline = legitimate_connects(port, fingerprint, 1, 0ms);
  std::atomic<bool> stop{false};
  flood_result fr;
  const auto flood_start = clock_type::now();
  std::thread flooder([&] { fr = flood(o, fds, initials, port, stop, answerer ? &*answerer : nullptr); });
  const auto every = std::chrono::milliseconds(static_cast<long>(o.seconds * 1000 / static_cast<double>(o.connects + 1)));
  auto during = legitimate_connects(port, fingerprint, o.connects, every);
  // Let the flood run its full length even if the connects ended early.
  std::this_thread::sleep_until(flood_start + std::chrono::duration_cast<clock_type::duration>(
                                                  std::chrono::duration<double>(o.seconds)));
  stop = true;
  flooder.join();
  const long rss_kb = status_kb(server, "VmRSS"), hwm_kb = status_kb(server, "VmHWM");
  const double cpu_flood = cpu_seconds(server) - cpu_idle;
  ::kill(server, SIGTERM);
  nlohmann::json server_info = nullptr;
  if (std::fgets(line, sizeof line, from_server)) server_info = nlohmann::json::parse(line, nullptr, false);
  int status = 0;
  ::waitpid(server, &status, 0);
  server_guard.pid = 0;

  const bool all_ok = std::none_of(during.begin(), during.end(), [](double s) { return s < 0; }) &&
                      !baseline.empty() && baseline[0] >= 0;
  std::vector<double> ok;
  for (double s : during)
    if (s >= 0) ok.push_back(s);
  std::sort(ok.begin(), ok.end());
  const nlohmann::json report = {
      {"rate_asked", o.rate},
      {"rate_sent", fr.seconds > 0 ? static_cast<double>(fr.sent) / fr.seconds : 0},
      {"initials_sent", fr.sent},
      {"initials_refused_by_kernel", fr.refused_by_kernel},
      {"distinct_initials", initials.size()},
      {"source_ports", o.ports},
      {"source_hosts", o.hosts},
      {"answer_retries", o.answer_retries},
      {"retries_answered", answerer ? answerer->retries_answered : 0},
      {"other_datagrams_to_flooders", answerer ? answerer->other_datagrams : 0},
      {"flood_seconds", fr.seconds},
      {"baseline_connect_s", baseline.empty() ? -1 : baseline[0]},
      {"connects", during.size()},
      {"connects_failed", during.size() - ok.size()},
      {"connect_median_s", ok.empty() ? -1 : ok[ok.size() / 2]},
      {"connect_max_s", ok.empty() ? -1 : ok.back()},
      {"server_rss_idle_mb", static_cast<double>(rss_idle_kb) / 1024},
      {"server_rss_end_mb", static_cast<double>(rss_kb) / 1024},
      {"server_rss_peak_mb", static_cast<double>(hwm_kb) / 1024},
      {"server_cpu_s", cpu_flood}, // from before the baseline connect to the end of the flood
      {"server", server_info}};
  std::cout << report.dump() << "\n";
  return all_ok ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "tern-bench-handshake-flood: " << e.what() << "\n";
  return 1;
}
