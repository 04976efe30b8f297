// tern-netem over loopback. Bounds are generous and nothing asserts speed:
// these run on loaded machines. Every socket uses an ephemeral port, so the
// cases can run in parallel.

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <unistd.h>

#include "relay_process.hpp"
#include "support/json_line.hpp"

using namespace std::chrono_literals;
using tern::netem::test::now_ns;
using tern::netem::test::relay_process;
using tern::netem::test::udp_socket;
using tern::test::json_line_number;

namespace {

struct message {
  std::uint32_t client;
  std::uint32_t seq;
  std::int64_t sent_ns;
};

message decode(const std::vector<std::uint8_t>& bytes) {
  message m{};
  if (bytes.size() >= sizeof m) std::memcpy(&m, bytes.data(), sizeof m);
  return m;
}

bool send_message(udp_socket& s, std::uint16_t port, std::uint32_t client, std::uint32_t seq) {
  const message m{client, seq, now_ns()};
  return s.send_to(port, &m, sizeof m);
}

std::vector<std::string> relay_args(std::uint16_t server_port, std::vector<std::string> extra) {
  std::vector<std::string> args{"--listen", "127.0.0.1:0", "--connect", "127.0.0.1:" + std::to_string(server_port)};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

} // namespace

TEST_CASE("loss 0%: every datagram crosses both ways") {
  udp_socket server, client;
  relay_process relay(relay_args(server.port(), {"--up", "loss 0%", "--down", "loss 0%"}));
  REQUIRE(relay.port() != 0);
  const std::uint32_t n = 500;
  std::set<std::uint32_t> at_server, at_client;
  std::uint32_t sent = 0;
  // At most 16 datagrams in flight, so no socket buffer can overflow.
  while (at_client.size() < n) {
    while (sent < n && sent - at_client.size() < 16) REQUIRE(send_message(client, relay.port(), 0, sent++));
    if (auto d = server.receive(0ms)) {
      at_server.insert(decode(d->first).seq);
      REQUIRE(server.send_to(d->second, d->first.data(), d->first.size())); // echo to the relay's port
      continue;
    }
    auto e = client.receive(10ms);
    if (e) {
      at_client.insert(decode(e->first).seq);
      continue;
    }
    // Nothing anywhere: wait on the server for a while before giving up.
    auto d = server.receive(5000ms);
    REQUIRE_MESSAGE(d.has_value(), "no progress for 5 s with " << at_client.size() << " echoes back");
    at_server.insert(decode(d->first).seq);
    REQUIRE(server.send_to(d->second, d->first.data(), d->first.size()));
  }
  CHECK(at_server.size() == n);
  CHECK(at_client.size() == n);
  CHECK(relay.terminate() == 0);
}

TEST_CASE("delay 50ms: no datagram arrives earlier than 50 ms") {
  udp_socket server, client;
  relay_process relay(relay_args(server.port(), {"--up", "delay 50ms"}));
  REQUIRE(relay.port() != 0);
  for (std::uint32_t i = 0; i < 20; ++i) REQUIRE(send_message(client, relay.port(), 0, i));
  int received = 0;
  while (received < 20) {
    auto d = server.receive(5000ms);
    REQUIRE(d.has_value());
    const auto m = decode(d->first);
    CHECK(now_ns() - m.sent_ns >= 50'000'000);
    ++received;
  }
  CHECK(relay.terminate() == 0);
}

TEST_CASE("rebinding changes the source port the server sees, and replies still return") {
  udp_socket server, client;
  relay_process relay(relay_args(server.port(), {"--rebind-after", "300ms"}));
  REQUIRE(relay.port() != 0);
  std::vector<std::uint16_t> ports; // distinct source ports, in order of appearance
  std::uint32_t seq = 0;
  std::uint32_t first_seq_on_new_port = 0;
  int echoes_after_rebind = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (echoes_after_rebind < 3 && std::chrono::steady_clock::now() < deadline) {
    REQUIRE(send_message(client, relay.port(), 0, seq++));
    while (auto d = server.receive(20ms)) {
      if (ports.empty() || ports.back() != d->second) {
        ports.push_back(d->second);
        if (ports.size() == 2) first_seq_on_new_port = decode(d->first).seq;
      }
      server.send_to(d->second, d->first.data(), d->first.size());
    }
    while (auto e = client.receive(0ms))
      if (ports.size() >= 2 && decode(e->first).seq >= first_seq_on_new_port) ++echoes_after_rebind;
  }
  REQUIRE(ports.size() == 2);
  CHECK(ports[0] != ports[1]);
  CHECK(echoes_after_rebind >= 3);
  CHECK(relay.terminate() == 0);
  CHECK(relay.err().find("rebinds 1") != std::string::npos);
}

TEST_CASE("several clients are relayed from distinct source ports") {
  udp_socket server;
  udp_socket clients[3];
  relay_process relay(relay_args(server.port(), {}));
  REQUIRE(relay.port() != 0);
  for (std::uint32_t c = 0; c < 3; ++c)
    for (std::uint32_t i = 0; i < 10; ++i) REQUIRE(send_message(clients[c], relay.port(), c, i));
  std::map<std::uint32_t, std::set<std::uint16_t>> ports_of_client;
  for (int k = 0; k < 30; ++k) {
    auto d = server.receive(5000ms);
    REQUIRE(d.has_value());
    ports_of_client[decode(d->first).client].insert(d->second);
    server.send_to(d->second, d->first.data(), d->first.size());
  }
  REQUIRE(ports_of_client.size() == 3);
  std::set<std::uint16_t> all;
  for (auto& [c, ports] : ports_of_client) {
    CHECK(ports.size() == 1);
    all.insert(ports.begin(), ports.end());
  }
  CHECK(all.size() == 3);
  // Each echo comes back to the client that sent it.
  for (std::uint32_t c = 0; c < 3; ++c)
    for (int i = 0; i < 10; ++i) {
      auto e = clients[c].receive(5000ms);
      REQUIRE(e.has_value());
      CHECK(decode(e->first).client == c);
    }
  relay.terminate();
  CHECK(json_line_number(relay.out(), "/up/packets_in") == -1); // no --stats-json, no JSON
}

TEST_CASE("stats JSON on SIGTERM counts packets and duplicates per direction") {
  udp_socket server, client;
  relay_process relay(relay_args(server.port(), {"--up", "duplicate 100%", "--stats-json"}));
  REQUIRE(relay.port() != 0);
  for (std::uint32_t i = 0; i < 50; ++i) REQUIRE(send_message(client, relay.port(), 0, i));
  for (int k = 0; k < 100; ++k) REQUIRE(server.receive(5000ms).has_value());
  REQUIRE(relay.terminate() == 0);
  const auto& json = relay.out();
  INFO(json);
  CHECK(json_line_number(json, "/up/packets_in") == 50);
  CHECK(json_line_number(json, "/up/duplicated") == 50);
  CHECK(json_line_number(json, "/up/packets_out") == 100);
  CHECK(json_line_number(json, "/down/packets_in") == 0);
  CHECK(json_line_number(json, "/clients") == 1);
  CHECK(relay.err().find("duplicated 50") != std::string::npos);
}

// What this proves: a schedule entry switches the uplink's spec once, at
// its time: every probe the relay read before the switch crosses, none read
// after it does, and the relay counts the latter as lost. The probes go out
// every 20 ms for 6 s, so the assertions do not depend on when exactly the
// relay's clock started (it prints its port, then starts the schedule) or
// on how fast either process runs: that the crossings form a prefix, and
// that the lost count is exactly the rest, hold under any load. Only "some
// before, some after" needs timing: the first probe must reach the relay
// within 3 s of its start, and the relay must not start more than 3 s after
// printing its port - margins a loaded machine stays far inside.
TEST_CASE("a schedule file switches a direction to a blackout mid-run") {
  udp_socket server, client;
  char path[] = "/tmp/tern-netem-schedule-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(path) << "# the uplink fails after 3 s\nat 0s: \nat 3s up: blackout\n";
  relay_process relay(relay_args(server.port(), {"--schedule", path, "--stats-json"}));
  REQUIRE(relay.port() != 0);
  const auto start = std::chrono::steady_clock::now();
  std::set<std::uint32_t> crossed;
  std::uint32_t sent = 0;
  while (std::chrono::steady_clock::now() < start + 6s) {
    REQUIRE(send_message(client, relay.port(), 0, sent++));
    while (auto d = server.receive(20ms)) crossed.insert(decode(d->first).seq);
  }
  while (auto d = server.receive(1000ms)) crossed.insert(decode(d->first).seq); // stragglers
  REQUIRE(relay.terminate() == 0);
  ::unlink(path);
  const auto crossed_count = static_cast<std::uint32_t>(crossed.size());
  INFO(sent << " probes sent, " << crossed_count << " crossed; " << relay.out());
  // A prefix: probes 0 .. crossed - 1, none after a lost one.
  CHECK(crossed_count >= 1);
  CHECK(crossed_count < sent);
  if (!crossed.empty()) CHECK(*crossed.rbegin() == crossed_count - 1);
  CHECK(json_line_number(relay.out(), "/up/packets_in") == static_cast<long>(sent));
  CHECK(json_line_number(relay.out(), "/up/lost") == static_cast<long>(sent - crossed_count));
}

TEST_CASE("a bad spec exits non-zero naming the token") {
  relay_process relay({"--listen", "127.0.0.1:0", "--connect", "127.0.0.1:9", "--up", "delay 10ms lost 1%"});
  CHECK(relay.port() == 0);
  CHECK(relay.wait() != 0);
  INFO(relay.err());
  CHECK(relay.err().find("--up") != std::string::npos);
  CHECK(relay.err().find("\"lost\"") != std::string::npos);
  CHECK(relay.err().find("expected") != std::string::npos);
}

TEST_CASE("bad addresses and bad schedules exit non-zero with a clear message") {
  SUBCASE("listen address") {
    relay_process relay({"--listen", "127.0.0.1:notaport", "--connect", "127.0.0.1:9"});
    CHECK(relay.wait() != 0);
    CHECK(relay.err().find("127.0.0.1:notaport") != std::string::npos);
  }
  SUBCASE("connect address") {
    relay_process relay({"--listen", "127.0.0.1:0", "--connect", "300.1.1.1:9"});
    CHECK(relay.wait() != 0);
    CHECK(relay.err().find("--connect") != std::string::npos);
  }
  SUBCASE("missing schedule file") {
    relay_process relay({"--listen", "127.0.0.1:0", "--connect", "127.0.0.1:9", "--schedule", "/nonexistent/x"});
    CHECK(relay.wait() != 0);
    CHECK(relay.err().find("/nonexistent/x") != std::string::npos);
  }
  SUBCASE("address in use") {
    udp_socket taken;
    relay_process relay({"--listen", "127.0.0.1:" + std::to_string(taken.port()), "--connect", "127.0.0.1:9"});
    CHECK(relay.wait() != 0);
    CHECK(relay.err().find("cannot listen") != std::string::npos);
  }
}
