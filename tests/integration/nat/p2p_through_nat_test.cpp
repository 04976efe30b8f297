// Peer-to-peer through two NATs on loopback (docs/nat.md, "Peer-to-peer
// setup"): peers A and B each sit behind their own `tern-netem --nat apdf`
// (endpoint-independent mapping, address-and-port-dependent filtering), learn
// their reflexive addresses from `tern-stun serve`, exchange them here (the
// test is the signalling channel) and connect by simultaneous open: A
// accepts and punches its pinhole towards B with Binding requests, B dials.
// Data then flows both ways. Without A's punching, B's Initials die at A's
// NAT and the handshake times out, which the second case checks. The third
// shows why keepalives matter: with pinholes that close after 3 s of
// silence, an idle connection stays reachable only while both sides PING.
//
// Loopback has no routing, so each NAT gives every remote an inside alias
// (nat.hpp): a peer reaches a remote through its NAT's alias for it. That is
// the only translation the test does when passing addresses on.

#include <doctest/doctest.h>

#include "discover.hpp"
#include "process.hpp"
#include "support/json_line.hpp"

#include <tern/tern.hpp>

#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

template <>
struct doctest::StringMaker<std::error_code> {
  static doctest::String convert(const std::error_code& ec) {
    return (std::string(ec.category().name()) + ": " + ec.message()).c_str();
  }
};

using namespace std::chrono_literals;
using asio::ip::udp;
using tern::test::child_process;
using tern::test::discover;
using tern::test::discovery;
using tern::test::skip;
using tern::test::tern_stun_tool;

namespace {

const auto loopback = asio::ip::make_address("127.0.0.1");

std::string netem_tool() {
#ifdef TERN_NETEM_PATH
  return TERN_NETEM_PATH;
#else
  return {};
#endif
}

std::string text(const udp::endpoint& e) { return e.address().to_string() + ":" + std::to_string(e.port()); }

udp::endpoint parse(const std::string& s) {
  const auto colon = s.rfind(':');
  return {asio::ip::make_address(s.substr(0, colon)),
          static_cast<unsigned short>(std::stoi(s.substr(colon + 1)))};
}

/// A running `tern-netem --nat`: its outside address and the inside alias
/// of each remote it was given.
struct nat_process {
  std::optional<child_process> proc;
  udp::endpoint outside;
  std::map<std::string, udp::endpoint> alias; // remote "HOST:PORT" -> alias

  /// Starts it on outside port `port`; false if it did not come up (the
  /// port was taken meanwhile).
  bool start(int port, const std::vector<udp::endpoint>& remotes, const std::string& mapping_timeout) {
    std::vector<std::string> argv{
        netem_tool(),        "--nat",         "apdf",        "--outside", "127.0.0.1:" + std::to_string(port),
        "--mapping-timeout", mapping_timeout, "--stats-json"};
    for (const auto& r : remotes) argv.insert(argv.end(), {"--remote", text(r)});
    proc.emplace(argv);
    if (!proc->wait_for_output("ready\n", 20s)) return false;
    std::istringstream lines(proc->output());
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words(line);
      std::string kind, a, via, b;
      words >> kind >> a >> via >> b;
      if (kind == "outside") outside = parse(a);
      if (kind == "remote" && via == "via") alias[a] = parse(b);
    }
    return outside.port() == port && alias.size() == remotes.size();
  }
  udp::endpoint alias_of(const udp::endpoint& remote) const { return alias.at(text(remote)); }
};

struct topology {
  std::optional<child_process> stun;
  udp::endpoint stun_at;
  nat_process nat_a, nat_b;
};

/// tern-stun serve, then the two NATs, each able to reach the STUN server
/// and the other NAT's outside address. Outside ports are picked free and
/// retried if one is taken before the NAT binds it.
void start_topology(topology& t, const std::string& mapping_timeout = "30s") {
  const std::string prefix = "listening on 127.0.0.1:";
  t.stun.emplace(std::vector<std::string>{tern_stun_tool(), "serve", "--listen", "127.0.0.1:0"});
  REQUIRE_MESSAGE(t.stun->wait_for_output(prefix, 20s), t.stun->output());
  const auto out = t.stun->output();
  t.stun_at = {loopback,
               static_cast<unsigned short>(std::stoi(out.substr(out.find(prefix) + prefix.size())))};
  for (int attempt = 0; attempt < 5; ++attempt) {
    const int pa = tern::test::free_udp_port("127.0.0.1");
    const int pb = tern::test::free_udp_port("127.0.0.1");
    if (pa == pb) continue;
    const udp::endpoint a_out{loopback, static_cast<unsigned short>(pa)};
    const udp::endpoint b_out{loopback, static_cast<unsigned short>(pb)};
    if (t.nat_a.start(pa, {t.stun_at, b_out}, mapping_timeout) &&
        t.nat_b.start(pb, {t.stun_at, a_out}, mapping_timeout))
      return;
  }
  FAIL("the NATs did not come up: " << (t.nat_a.proc ? t.nat_a.proc->output() : "")
                                    << (t.nat_b.proc ? t.nat_b.proc->output() : ""));
}

/// NAT statistics of `tern-netem --nat --stats-json`, after stopping it.
std::string stop_and_read_stats(nat_process& n) {
  n.proc->stop();
  return n.proc->output();
}

// One counter of that statistics line; 0 when absent.
std::uint64_t stat(const std::string& output, const std::string& name) {
  return static_cast<std::uint64_t>(std::max(0L, tern::test::json_line_number(output, "/" + name)));
}

struct peers {
  asio::io_context io;
  std::optional<tern::endpoint> a, b;
  udp::endpoint a_ref, b_ref; // reflexive addresses, as the STUN server saw them

  explicit peers(topology& t, std::chrono::nanoseconds keepalive = tern::config{}.keepalive_interval) {
    tern::config ca;
    ca.accept_connections = true;
    ca.handshake_timeout = 6s;
    ca.keepalive_interval = keepalive;
    tern::config cb = ca;
    cb.accept_connections = false;
    // B only connects, but A's punching discovery wants its answer
    // (docs/nat.md, "Peer-to-peer setup").
    cb.answer_stun_requests = tern::config::stun_answers::always;
    a.emplace(io.get_executor(), udp::endpoint{loopback, 0}, ca);
    b.emplace(io.get_executor(), udp::endpoint{loopback, 0}, cb);
    // 1. Each learns its reflexive address from the STUN server, through its NAT.
    const auto da = discover(io, *a, t.nat_a.alias_of(t.stun_at));
    const auto db = discover(io, *b, t.nat_b.alias_of(t.stun_at));
    REQUIRE_FALSE(da.ec);
    REQUIRE_FALSE(db.ec);
    a_ref = da.reflexive;
    b_ref = db.reflexive;
  }
};

struct p2p_connection {
  std::optional<tern::connection> at_a, at_b;
  bool punched = false; // A's discovery towards B completed
};

/// Steps 2 and 3 of docs/nat.md's peer-to-peer setup. `out` must outlive
/// the io_context's runs: A's discovery completes later.
void simultaneous_open(topology& t, peers& p, p2p_connection& out) {
  // 2. Signalling: A gets b_ref, B gets a_ref and A's fingerprint. Each
  // reaches the other's reflexive address through its own NAT's alias.
  const udp::endpoint a_to_b = t.nat_a.alias_of(p.b_ref);
  const udp::endpoint b_to_a = t.nat_b.alias_of(p.a_ref);

  // 3. Simultaneous open: A accepts and punches towards B; B dials A.
  std::error_code accept_ec, connect_ec;
  bool accepted = false, connected = false;
  p.a->async_accept([&](std::error_code ec, tern::connection c) {
    accepted = true;
    accept_ec = ec;
    if (!ec) out.at_a = std::move(c);
  });
  p.a->async_discover(a_to_b, [&](std::error_code ec, udp::endpoint) { out.punched = !ec; });
  tern::connect_options pin;
  pin.pinned_fingerprints = {p.a->fingerprint()};
  p.b->async_connect(b_to_a, pin, [&](std::error_code ec, tern::connection c) {
    connected = true;
    connect_ec = ec;
    if (!ec) out.at_b = std::move(c);
  });
  p.io.restart();
  const auto dialled = std::chrono::steady_clock::now();
  const auto until = dialled + 60s;
  while (!(accepted && connected) && std::chrono::steady_clock::now() < until) p.io.run_one_for(200ms);
  if (!(connected && !connect_ec && accepted && !accept_ec)) {
    // What each NAT saw is the first thing to know when this fails.
    const auto stats_a = stop_and_read_stats(t.nat_a);
    const auto stats_b = stop_and_read_stats(t.nat_b);
    FAIL("no connection (" << connect_ec.message() << "); NAT A: " << stats_a << "\nNAT B: " << stats_b);
  }
  MESSAGE("connected through both NATs after "
          << std::chrono::duration<double>(std::chrono::steady_clock::now() - dialled).count() << " s");
}

} // namespace

TEST_CASE("p2p: simultaneous open through two port-restricted NATs, data both ways") {
  if (tern_stun_tool().empty() || netem_tool().empty()) {
    skip("tern-stun or tern-netem is not built (TERN_BUILD_TOOLS=OFF)");
    return;
  }
  topology t;
  start_topology(t);
  peers p(t);
  // The NATs' outside ports are what the STUN server saw: the mapping is
  // endpoint-independent, so the peer will see the same address.
  CHECK(p.a_ref == t.nat_a.outside);
  CHECK(p.b_ref == t.nat_b.outside);

  p2p_connection conn;
  simultaneous_open(t, p, conn);
  auto& at_a = conn.at_a;
  auto& at_b = conn.at_b;
  bool& punched = conn.punched;
  const udp::endpoint a_to_b = t.nat_a.alias_of(p.b_ref);

  // 4. Data both ways on one stream: B -> A, then A -> B.
  const std::string from_b(40'000, 'b'), from_a(30'000, 'a');
  std::string got_at_a(from_b.size(), '\0'), got_at_b(from_a.size(), '\0');
  bool a_done = false, b_done = false;
  std::error_code a_ec, b_ec;
  std::optional<tern::byte_stream> sa, sb;
  at_a->async_accept_stream([&](std::error_code ec, tern::byte_stream s) {
    if (ec) return void((a_ec = ec, a_done = true));
    sa = std::move(s);
    asio::async_read(*sa, asio::buffer(got_at_a), [&](std::error_code rec, std::size_t) {
      if (rec) return void((a_ec = rec, a_done = true));
      asio::async_write(*sa, asio::buffer(from_a), [&](std::error_code wec, std::size_t) {
        a_ec = wec;
        a_done = true;
      });
    });
  });
  at_b->async_open_stream([&](std::error_code ec, tern::byte_stream s) {
    if (ec) return void((b_ec = ec, b_done = true));
    sb = std::move(s);
    asio::async_write(*sb, asio::buffer(from_b), [&](std::error_code wec, std::size_t) {
      if (wec) return void((b_ec = wec, b_done = true));
      asio::async_read(*sb, asio::buffer(got_at_b), [&](std::error_code rec, std::size_t) {
        b_ec = rec;
        b_done = true;
      });
    });
  });
  auto until = std::chrono::steady_clock::now() + 60s;
  while (!(a_done && b_done) && std::chrono::steady_clock::now() < until) p.io.run_one_for(200ms);
  REQUIRE(a_done);
  REQUIRE(b_done);
  CHECK_FALSE(a_ec);
  CHECK_FALSE(b_ec);
  CHECK(got_at_a == from_b);
  CHECK(got_at_b == from_a);
  // A's punching discovery completes too: B's endpoint answered one of its
  // Binding requests through both NATs (the first may have died at B's NAT,
  // before B had sent anything towards A).
  until = std::chrono::steady_clock::now() + 30s;
  while (!punched && std::chrono::steady_clock::now() < until) p.io.run_one_for(200ms);
  CHECK(punched);
  // The server side sees B at its NAT's alias of B's reflexive address.
  CHECK(at_a->remote_endpoint() == a_to_b);
  at_b->close();
  at_a->close();

  const auto stats_a = stop_and_read_stats(t.nat_a);
  const auto stats_b = stop_and_read_stats(t.nat_b);
  INFO("NAT A: " << stats_a);
  INFO("NAT B: " << stats_b);
  CHECK(stat(stats_a, "inbound") > 0);
  CHECK(stat(stats_b, "inbound") > 0);
  CHECK(stat(stats_a, "foreign_inside") == 0);
  MESSAGE("filtered at A's NAT: " << stat(stats_a, "inbound_filtered")
                                  << ", at B's NAT: " << stat(stats_b, "inbound_filtered"));
}

TEST_CASE("p2p: without A's punching, B's Initials die at A's NAT and the handshake times out") {
  if (tern_stun_tool().empty() || netem_tool().empty()) {
    skip("tern-stun or tern-netem is not built (TERN_BUILD_TOOLS=OFF)");
    return;
  }
  topology t;
  start_topology(t);
  peers p(t);
  bool accepted = false, connected = false;
  std::error_code connect_ec;
  p.a->async_accept([&](std::error_code, tern::connection) { accepted = true; });
  tern::connect_options pin;
  pin.pinned_fingerprints = {p.a->fingerprint()};
  p.b->async_connect(t.nat_b.alias_of(p.a_ref), pin, [&](std::error_code ec, tern::connection) {
    connected = true;
    connect_ec = ec;
  });
  p.io.restart();
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (!connected && std::chrono::steady_clock::now() < until) p.io.run_one_for(200ms);
  REQUIRE(connected);
  CHECK(connect_ec == tern::errc::handshake_timeout);
  CHECK_FALSE(accepted);
  const auto stats_a = stop_and_read_stats(t.nat_a);
  INFO("NAT A: " << stats_a);
  CHECK(stat(stats_a, "inbound_filtered") > 0); // B's Initials, refused by A's filtering
}

namespace {

/// How long to wait for a datagram on loopback before calling it lost:
/// loopback delivers in microseconds, so this only has to outlast a
/// scheduler stall of the loaded machine.
constexpr auto datagram_wait = 5s;

/// What the idle phase waits for before A sends.
enum class idle_until {
  elapsed, ///< `idle` of wall time, whatever B sends meanwhile (its keepalives)
  b_quiet, ///< B has sent nothing for `idle`: its pinhole has had that long to close
};

/// After the idle phase, A sends `count` datagrams to B 100 ms apart;
/// returns how many B received, waiting up to datagram_wait after the last
/// for any still missing.
int datagrams_after_idle(peers& p, p2p_connection& conn, std::chrono::milliseconds idle, idle_until until_what,
                         int count) {
  p.io.restart();
  auto last_b_packet = std::chrono::steady_clock::now();
  auto b_sent = conn.at_b->stats().packets_sent;
  const auto start = last_b_packet;
  const auto bound = start + idle + 30s; // B's handshake tail (ACKs, a PTO) ends within seconds
  for (;;) {
    p.io.run_one_for(50ms);
    const auto now = std::chrono::steady_clock::now();
    if (const auto sent = conn.at_b->stats().packets_sent; sent != b_sent) {
      b_sent = sent;
      last_b_packet = now;
    }
    if (until_what == idle_until::elapsed ? now >= start + idle : now >= last_b_packet + idle) break;
    REQUIRE_MESSAGE(now < bound, "B kept sending for " << std::chrono::duration<double>(now - start).count()
                                                       << " s without keepalives");
  }
  int received = 0;
  std::array<char, 64> buf{};
  std::function<void()> receive = [&] {
    conn.at_b->async_receive_datagram(asio::buffer(buf), [&](std::error_code ec, std::size_t) {
      if (ec) return;
      ++received;
      receive();
    });
  };
  receive();
  const std::string payload = "after idle";
  for (int i = 0; i < count; ++i) {
    conn.at_a->async_send_datagram(asio::buffer(payload), [](std::error_code) {});
    const auto next = std::chrono::steady_clock::now() + 100ms;
    while (std::chrono::steady_clock::now() < next) p.io.run_one_for(20ms);
  }
  const auto until = std::chrono::steady_clock::now() + datagram_wait;
  while (received < count && std::chrono::steady_clock::now() < until) p.io.run_one_for(50ms);
  return received;
}

} // namespace

// What this proves: a NAT pinhole that closes after `timeout` without
// outbound traffic stays open through an idle period of twice that while
// tern's keepalive PINGs run, and closes without them. Why the bounds hold
// on a loaded machine, all in wall time:
//  - keepalive: B sends a PING every 300 ms, a tenth of the 3 s timeout, so
//    B's pinhole closes only if B's process stalls for 3 s;
//  - no keepalive: A sends only once B has sent nothing for 6 s (B's own
//    packet count, not a guess at when its handshake traffic ends), twice
//    the timeout, so B's NAT has had 3 s of slack to close the pinhole;
//  - datagrams are unreliable, so with the pinhole open the test asks for
//    at least one of five to arrive (with it closed all five are filtered,
//    which the NAT's own count confirms), waiting 5 s for stragglers.
// The timeout is not much shorter: A's punching stops once B has answered,
// so A's pinhole must outlive B's first handshake retransmission, about 1 s.
TEST_CASE("p2p: keepalives hold the NAT pinholes open, without them an idle connection is cut off") {
  if (tern_stun_tool().empty() || netem_tool().empty()) {
    skip("tern-stun or tern-netem is not built (TERN_BUILD_TOOLS=OFF)");
    return;
  }
  const std::chrono::milliseconds timeout = 3000ms, idle = 2 * timeout;
  const int count = 5;
  for (const bool keepalive : {true, false}) {
    CAPTURE(keepalive);
    topology t;
    start_topology(t, "3s"); // = timeout
    peers p(t, keepalive ? std::chrono::nanoseconds(300ms) : std::chrono::nanoseconds(0));
    p2p_connection conn;
    simultaneous_open(t, p, conn);
    const int received =
        datagrams_after_idle(p, conn, idle, keepalive ? idle_until::elapsed : idle_until::b_quiet, count);
    const auto stats_b = stop_and_read_stats(t.nat_b);
    INFO("NAT B: " << stats_b);
    MESSAGE(received << " of " << count << " datagrams arrived");
    if (keepalive) {
      CHECK(received >= 1);
    } else {
      // B sent nothing for longer than the timeout: its NAT refuses A.
      CHECK(received == 0);
      CHECK(stat(stats_b, "inbound_filtered") >= static_cast<std::uint64_t>(count));
    }
  }
}
