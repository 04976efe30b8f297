// Interop on loopback: tern's Binding client against coturn's turnserver
// (--stun-only) and stund (package stun-server); coturn's
// turnutils_stunclient and the classic `stun` client (package stun-client)
// against `tern-stun serve`. Every server is started here on free ports and
// stopped at the end of its test. Time limits are generous: these tests
// assert outcomes, never durations.
#include <doctest/doctest.h>

#include "process.hpp"
#include "support/ipv6_loopback.hpp"
#include "support/json_line.hpp"

#include "stun/binding_transaction.hpp"
#include "stun/integrity.hpp"

#include <tern/time.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using tern::stun::transport_address;
using tern::test::child_process;
using tern::test::find_program;
using tern::test::has_ipv6_loopback;
using tern::test::skip;
using tern::test::tern_stun_tool;

namespace {

// A UDP socket on loopback that runs tern::stun::binding_transaction in real time.
class udp_client {
public:
  explicit udp_client(bool v6) : v6_(v6) {
    fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_storage local{};
    socklen_t len = 0;
    if (v6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&local);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_loopback;
      len = sizeof *a;
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&local);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof *a;
    }
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&local), len) == 0);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len) == 0);
    local_ = from_sockaddr(local);
  }
  ~udp_client() { ::close(fd_); }
  udp_client(const udp_client&) = delete;
  udp_client& operator=(const udp_client&) = delete;

  const transport_address& local() const { return local_; }

  // Runs one transaction to completion against `server`.
  void run(tern::stun::binding_transaction& tx, const transport_address& server) {
    const sockaddr_storage to = to_sockaddr(server);
    const socklen_t to_len = v6_ ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    std::array<std::byte, 2048> buf{};
    while (!tx.done()) {
      const auto out = tx.poll_transmit(now());
      if (!out.empty())
        ::sendto(fd_, out.data(), out.size(), 0, reinterpret_cast<const sockaddr*>(&to), to_len);
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(tx.next_timeout() - now());
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::max<long long>(0, wait.count()) + 1)) > 0) {
        sockaddr_storage from{};
        socklen_t from_len = sizeof from;
        const auto n =
            ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
        if (n > 0 && from_sockaddr(from) == server)
          tx.on_response(std::span{buf.data(), static_cast<std::size_t>(n)}, now());
      }
      tx.on_timeout(now());
    }
  }

private:
  static tern::time_point now() { return tern::from_steady(std::chrono::steady_clock::now()); }

  static transport_address from_sockaddr(const sockaddr_storage& s) {
    if (s.ss_family == AF_INET6) {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(&s);
      std::array<std::uint8_t, 16> ip{};
      std::memcpy(ip.data(), &a->sin6_addr, 16);
      return transport_address::ipv6(ip, ntohs(a->sin6_port));
    }
    const auto* a = reinterpret_cast<const sockaddr_in*>(&s);
    std::array<std::uint8_t, 4> ip{};
    std::memcpy(ip.data(), &a->sin_addr, 4);
    return transport_address::ipv4(ip, ntohs(a->sin_port));
  }
  sockaddr_storage to_sockaddr(const transport_address& t) const {
    sockaddr_storage s{};
    if (t.family == tern::stun::address_family::ipv6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&s);
      a->sin6_family = AF_INET6;
      std::memcpy(&a->sin6_addr, t.ip.data(), 16);
      a->sin6_port = htons(t.port);
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&s);
      a->sin_family = AF_INET;
      std::memcpy(&a->sin_addr, t.ip.data(), 4);
      a->sin_port = htons(t.port);
    }
    return s;
  }

  bool v6_;
  int fd_ = -1;
  transport_address local_;
};

struct discovery {
  bool ok = false;
  transport_address local;
  transport_address mapped;
  bool legacy = false;
  std::string software;
  std::string error;
};

// Discovers the mapped address of a fresh loopback socket, retrying with new
// transactions while the server may still be starting (up to `patience`).
discovery discover(const transport_address& server, tern::stun::binding_options options,
                   std::chrono::milliseconds patience = 20s) {
  options.initial_rto = 100ms;
  options.max_requests = 5;
  options.last_wait_factor = 8;
  const auto until = std::chrono::steady_clock::now() + patience;
  discovery d;
  do {
    udp_client client{server.family == tern::stun::address_family::ipv6};
    tern::stun::transaction_id id{};
    REQUIRE(tern::stun::random_transaction_id(id));
    tern::stun::binding_transaction tx{id, options};
    client.run(tx, server);
    d.local = client.local();
    if (tx.current_state() == tern::stun::binding_transaction::state::succeeded) {
      d.ok = true;
      d.mapped = *tx.mapped_address();
      d.legacy = tx.mapped_address_legacy();
      d.software = tx.server_software();
      return d;
    }
    d.error = tx.error().message();
    if (tx.error() != tern::stun::stun_errc::timeout) return d;
  } while (std::chrono::steady_clock::now() < until);
  return d;
}

transport_address loopback4(int port) {
  return transport_address::ipv4({127, 0, 0, 1}, static_cast<std::uint16_t>(port));
}
transport_address loopback6(int port) {
  std::array<std::uint8_t, 16> ip{};
  ip[15] = 1;
  return transport_address::ipv6(ip, static_cast<std::uint16_t>(port));
}

// Starts `tern-stun serve` on an ephemeral port of each address and returns
// the ports it reports.
std::vector<int> start_tern_serve(std::optional<child_process>& server,
                                  const std::vector<std::string>& listen,
                                  const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{tern_stun_tool(), "serve"};
  for (const auto& l : listen) {
    argv.push_back("--listen");
    argv.push_back(l);
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  server.emplace(argv);
  std::vector<int> ports;
  for (const auto& l : listen) {
    const std::string host = l.substr(0, l.rfind(':'));
    const std::string prefix = "listening on " + host + ":";
    REQUIRE_MESSAGE(server->wait_for_output(prefix, 20s), server->output());
    const auto out = server->output();
    const auto at = out.find(prefix) + prefix.size();
    ports.push_back(std::stoi(out.substr(at)));
  }
  return ports;
}

} // namespace

TEST_CASE("interop: tern client against coturn turnserver --stun-only, IPv4 and IPv6") {
  REQUIRE_PROGRAM(turnserver, "turnserver");
  const bool v6 = has_ipv6_loopback();
  std::vector<std::string> listen{"127.0.0.1"};
  if (v6) listen.push_back("::1");
  const bool ran =
      tern::test::with_coturn(*turnserver, listen, {"--no-software-attribute"}, [&](child_process& server, int port) {
        tern::stun::binding_options options; // tern's defaults: SOFTWARE-less here, FINGERPRINT on
        const auto d4 = discover(loopback4(port), options);
        INFO("turnserver output:\n" << server.output());
        REQUIRE_MESSAGE(d4.ok, d4.error);
        CHECK(d4.mapped == d4.local);
        CHECK_FALSE(d4.legacy);

        options.software = "tern interop test";
        if (v6) {
          const auto d6 = discover(loopback6(port), options);
          REQUIRE_MESSAGE(d6.ok, d6.error);
          CHECK(d6.mapped == d6.local);
        }

        // The command-line client too.
        if (!tern_stun_tool().empty()) {
          const auto r =
              tern::test::run({tern_stun_tool(), "query", "127.0.0.1:" + std::to_string(port), "--json"}, 30s);
          INFO(r.output);
          CHECK(r.status == 0);
          const auto result = tern::test::json_line(r.output);
          CHECK(result.value("mapped_address", "").starts_with("127.0.0.1:"));
          CHECK(result.value("xor_mapped", false));
        }
      });
  if (!ran) FAIL("turnserver could not listen on a free port in 5 attempts");
}

TEST_CASE("interop: tern client against stund on 127.0.0.1 and 127.0.0.2") {
  REQUIRE_PROGRAM(stund, "stund");
  const bool ran = tern::test::with_stund(*stund, [&](child_process& server, int p1, int p2) {
    // RFC 8489 §12.1: talk to a classic server without SOFTWARE (stund
    // rejects text whose length is not a multiple of 4); FINGERPRINT it skips.
    tern::stun::binding_options options;
    const auto d = discover(loopback4(p1), options, 10s);
    if (!d.ok && !server.running()) return false; // a port was taken: try others
    INFO("stund output:\n" << server.output());
    REQUIRE_MESSAGE(d.ok, d.error);
    CHECK(d.mapped == d.local);
    CHECK(d.software.find("Vovida") != std::string::npos);

    if (!tern_stun_tool().empty()) {
      auto r =
          tern::test::run({tern_stun_tool(), "query", "127.0.0.1:" + std::to_string(p1), "--rfc3489"}, 30s);
      INFO(r.output);
      CHECK(r.status == 0);
      CHECK(r.output.rfind("127.0.0.1:", 0) == 0);
      // The alternate address answers too.
      r = tern::test::run(
          {tern_stun_tool(), "query", "127.0.0.2:" + std::to_string(p2), "--rfc3489", "--json"}, 30s);
      INFO(r.output);
      CHECK(r.status == 0);
      CHECK(tern::test::json_line(r.output).value("mapped_address", "").starts_with("127.0.0.1:"));
    }
    return true;
  });
  if (!ran) FAIL("stund did not start on free ports in 5 attempts");
}

TEST_CASE("interop: coturn turnutils_stunclient against tern-stun serve, IPv4 and IPv6") {
  REQUIRE_PROGRAM(client, "turnutils_stunclient");
  if (tern_stun_tool().empty()) {
    skip("tern-stun is not built (TERN_BUILD_TOOLS=OFF)");
    return;
  }
  const bool v6 = has_ipv6_loopback();
  std::vector<std::string> listen{"127.0.0.1:0"};
  if (v6) listen.push_back("[::1]:0");
  std::optional<child_process> server;
  const auto ports = start_tern_serve(server, listen, {"--verbose"});

  auto r = tern::test::run({*client, "-p", std::to_string(ports[0]), "127.0.0.1"}, 30s);
  INFO("turnutils_stunclient:\n" << r.output << "\ntern-stun serve:\n" << server->output());
  CHECK(r.status == 0);
  CHECK(r.output.find("UDP reflexive addr: 127.0.0.1:") != std::string::npos);
  CHECK(server->output().find(": success") != std::string::npos);
  if (v6) {
    r = tern::test::run({*client, "-p", std::to_string(ports[1]), "::1"}, 30s);
    INFO("turnutils_stunclient (IPv6):\n" << r.output);
    CHECK(r.status == 0);
    CHECK(r.output.find("UDP reflexive addr: ::1:") != std::string::npos);
  }
}

TEST_CASE("interop: the classic stun client against tern-stun serve") {
  REQUIRE_PROGRAM(client, "stun");
  if (tern_stun_tool().empty()) {
    skip("tern-stun is not built (TERN_BUILD_TOOLS=OFF)");
    return;
  }
  // The classic client speaks RFC 3489 (no magic cookie) and always sends
  // CHANGE-REQUEST. A single-address server must refuse that with 420
  // (RFC 5389 §12.2, RFC 5780 §6.1), echoing the 128-bit transaction ID, so
  // the client parses the answer: its test I sees a response.
  std::optional<child_process> server;
  const auto ports = start_tern_serve(server, {"127.0.0.1:0"}, {"--verbose"});
  auto r = tern::test::run({*client, "127.0.0.1:" + std::to_string(ports[0]), "-v"}, 60s);
  INFO("stun:\n" << r.output << "\ntern-stun serve:\n" << server->output());
  CHECK(r.output.find("ErrorCode = 4 20") != std::string::npos);
  CHECK(r.output.find("test I = 1") != std::string::npos);
  CHECK(server->output().find(": error 420") != std::string::npos);

  // Control: with RFC 3489 support off, the server stays silent and test I fails.
  std::optional<child_process> strict;
  const auto strict_ports = start_tern_serve(strict, {"127.0.0.1:0"}, {"--no-rfc3489"});
  r = tern::test::run({*client, "127.0.0.1:" + std::to_string(strict_ports[0]), "-v"}, 60s);
  INFO("stun against --no-rfc3489:\n" << r.output);
  CHECK(r.output.find("test I = 0") != std::string::npos);
}

TEST_CASE("interop: tern-stun query against tern-stun serve, and its errors") {
  if (tern_stun_tool().empty()) {
    skip("tern-stun is not built (TERN_BUILD_TOOLS=OFF)");
    return;
  }
  const bool v6 = has_ipv6_loopback();
  std::vector<std::string> listen{"127.0.0.1:0"};
  if (v6) listen.push_back("[::1]:0");
  std::optional<child_process> server;
  const auto ports = start_tern_serve(server, listen);
  auto r = tern::test::run({tern_stun_tool(), "query", "127.0.0.1:" + std::to_string(ports[0])}, 30s);
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.rfind("127.0.0.1:", 0) == 0);
  const auto d = discover(loopback4(ports[0]), {});
  REQUIRE(d.ok);
  CHECK(d.mapped == d.local);
  CHECK(d.software == "tern-stun");
  if (v6) {
    r = tern::test::run({tern_stun_tool(), "query", "[::1]:" + std::to_string(ports[1]), "--json"}, 30s);
    INFO(r.output);
    CHECK(r.status == 0);
    CHECK(tern::test::json_line(r.output).value("family", "") == "ipv6");
  }

  for (const char* bad : {"nonsense", "::1:3478", "127.0.0.1:70000", "[::1:3478", "127.0.0.1:0"}) {
    r = tern::test::run({tern_stun_tool(), "query", bad}, 30s);
    INFO(bad << ": " << r.output);
    CHECK(r.status == 2);
    CHECK(r.output.find("tern-stun: ") != std::string::npos);
  }
  r = tern::test::run({tern_stun_tool(), "serve", "--listen", "localhost:1"}, 30s);
  CHECK(r.status == 2);
  CHECK(r.output.find("not a numeric") != std::string::npos);

  // Nobody answers: exit status 1 after the time limit.
  const int silent = tern::test::free_udp_port("127.0.0.1");
  r = tern::test::run(
      {tern_stun_tool(), "query", "127.0.0.1:" + std::to_string(silent), "--timeout", "1", "--json"}, 30s);
  CHECK(r.status == 1);
  CHECK(tern::test::json_line(r.output).contains("error"));
}
