// tern::endpoint::async_discover and the endpoint's Binding responder on
// loopback, against real STUN servers and clients started here on free
// ports. Outcomes only; time bounds are generous and never asserted.
#include <doctest/doctest.h>

#include "discover.hpp"
#include "process.hpp"
#include "support/json_line.hpp"

#include "stun/binding_responder.hpp"

#include <tern/tern.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <optional>
#include <string>
#include <thread>

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
using tern::test::find_program;
using tern::test::skip;
using tern::test::tern_stun_tool;

namespace {

const auto loopback = asio::ip::make_address("127.0.0.1");

// Starts `tern-stun serve` on an ephemeral port of 127.0.0.1 and returns it.
int start_tern_serve(std::optional<child_process>& server) {
  server.emplace(std::vector<std::string>{tern_stun_tool(), "serve", "--listen", "127.0.0.1:0", "--verbose"});
  const std::string prefix = "listening on 127.0.0.1:";
  REQUIRE_MESSAGE(server->wait_for_output(prefix, 20s), server->output());
  const auto out = server->output();
  return std::stoi(out.substr(out.find(prefix) + prefix.size()));
}

// Runs `argv` while the io_context keeps serving the endpoint.
tern::test::run_result run_against(asio::io_context& io, const std::vector<std::string>& argv) {
  auto child = std::async(std::launch::async, [argv] { return tern::test::run(argv, 30s); });
  io.restart();
  while (child.wait_for(0s) != std::future_status::ready) io.run_one_for(20ms);
  return child.get();
}

} // namespace

TEST_CASE("endpoint: async_discover against tern-stun serve, on the endpoint's own socket") {
  if (tern_stun_tool().empty()) {
    skip("tern-stun is not built (TERN_BUILD_TOOLS=OFF)");
    return;
  }
  std::optional<child_process> server;
  const int port = start_tern_serve(server);
  asio::io_context io;
  tern::endpoint ep(io.get_executor(), {loopback, 0});
  const auto d = discover(io, ep, {loopback, static_cast<unsigned short>(port)});
  INFO("tern-stun serve:\n" << server->output());
  REQUIRE_FALSE(d.ec);
  // On loopback there is no NAT: the reflexive address is the socket's own,
  // which proves the request left from the endpoint's socket.
  CHECK(d.reflexive == ep.local_endpoint());
  CHECK(ep.info().stun_requests_sent >= 1);
  CHECK(server->output().find(": success") != std::string::npos);
}

TEST_CASE("endpoint: async_discover against coturn turnserver --stun-only") {
  REQUIRE_PROGRAM(turnserver, "turnserver");
  const bool ran = tern::test::with_coturn(*turnserver, {"127.0.0.1"}, {}, [&](child_process& server, int port) {
    asio::io_context io;
    tern::endpoint ep(io.get_executor(), {loopback, 0});
    const auto d = discover(io, ep, {loopback, static_cast<unsigned short>(port)});
    INFO("turnserver output:\n" << server.output());
    REQUIRE_FALSE(d.ec);
    CHECK(d.reflexive == ep.local_endpoint());
  });
  if (!ran) FAIL("turnserver could not listen on a free port in 5 attempts");
}

TEST_CASE("endpoint: async_discover against stund") {
  REQUIRE_PROGRAM(stund, "stund");
  const bool ran = tern::test::with_stund(*stund, [&](child_process& server, int p1, int /*alternate*/) {
    tern::config cfg;
    cfg.stun_initial_rto = 200ms; // a dead stund is noticed in 200 ms * (1+2+4+16)
    cfg.stun_max_requests = 3;
    asio::io_context io;
    tern::endpoint ep(io.get_executor(), {loopback, 0}, cfg);
    const auto d = discover(io, ep, {loopback, static_cast<unsigned short>(p1)});
    if (d.ec && !server.running()) return false; // a port was taken: try others
    INFO("stund output:\n" << server.output());
    REQUIRE_FALSE(d.ec);
    CHECK(d.reflexive == ep.local_endpoint());
    return true;
  });
  if (!ran) FAIL("stund did not start on free ports in 5 attempts");
}

TEST_CASE("endpoint: answers coturn's turnutils_stunclient and tern-stun query with their address") {
  asio::io_context io;
  tern::config cfg;
  cfg.accept_connections = true;
  tern::endpoint ep(io.get_executor(), {loopback, 0}, cfg);
  const auto port = std::to_string(ep.local_endpoint().port());
  if (const auto client = find_program("turnutils_stunclient")) {
    const auto r = run_against(io, {*client, "-p", port, "127.0.0.1"});
    INFO("turnutils_stunclient:\n" << r.output);
    CHECK(r.status == 0);
    CHECK(r.output.find("UDP reflexive addr: 127.0.0.1:") != std::string::npos);
  } else {
    WARN_MESSAGE(false, "turnutils_stunclient is not installed: that half is skipped");
  }
  if (!tern_stun_tool().empty()) {
    const auto r = run_against(io, {tern_stun_tool(), "query", "127.0.0.1:" + port, "--bind", "127.0.0.1:0", "--json"});
    INFO("tern-stun query:\n" << r.output);
    CHECK(r.status == 0);
    CHECK(tern::test::json_line(r.output).value("mapped_address", "").starts_with("127.0.0.1:"));
  }
  CHECK(ep.info().stun_requests_answered >= 1);
}

TEST_CASE("endpoint: two peers learn each other's addresses, then connect on the same sockets") {
  asio::io_context io;
  tern::config server_cfg;
  server_cfg.accept_connections = true;
  tern::endpoint a(io.get_executor(), {loopback, 0}, server_cfg);
  // B only connects, so it answers STUN requests only when told to.
  tern::config client_cfg;
  client_cfg.answer_stun_requests = tern::config::stun_answers::always;
  tern::endpoint b(io.get_executor(), {loopback, 0}, client_cfg);
  // Each asks the other: the answer is its own address as the other sees it.
  const auto db = discover(io, b, a.local_endpoint());
  REQUIRE_FALSE(db.ec);
  CHECK(db.reflexive == b.local_endpoint());
  const auto da = discover(io, a, b.local_endpoint());
  REQUIRE_FALSE(da.ec);
  CHECK(da.reflexive == a.local_endpoint());
  CHECK(a.info().stun_requests_answered >= 1);
  CHECK(b.info().stun_requests_answered >= 1);

  // The simultaneous-open sequence of docs/nat.md: the accepting side keeps
  // a discovery running towards the client (its pinhole), the client
  // connects; tern and STUN share each socket.
  bool accepted = false, connected = false;
  std::error_code accept_ec, connect_ec;
  a.async_accept([&](std::error_code ec, tern::connection) {
    accepted = true;
    accept_ec = ec;
  });
  a.async_discover(b.local_endpoint(), [](std::error_code, udp::endpoint) {});
  tern::connect_options pin;
  pin.pinned_fingerprints = {a.fingerprint()};
  b.async_connect(a.local_endpoint(), pin, [&](std::error_code ec, tern::connection) {
    connected = true;
    connect_ec = ec;
  });
  io.restart();
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (!(accepted && connected) && std::chrono::steady_clock::now() < until) io.run_one_for(1s);
  REQUIRE(accepted);
  REQUIRE(connected);
  CHECK_FALSE(accept_ec);
  CHECK_FALSE(connect_ec);
  CHECK(a.info().datagrams_dropped == 0); // no STUN datagram was mistaken for a tern packet
  CHECK(b.info().datagrams_dropped == 0);
}

TEST_CASE("endpoint: async_discover errors: timeout, cancellation, unreachable family, closed endpoint") {
  asio::io_context io;
  tern::config cfg;
  cfg.stun_initial_rto = 20ms;
  cfg.stun_max_requests = 2;
  cfg.stun_last_wait_factor = 2;
  tern::endpoint ep(io.get_executor(), {loopback, 0}, cfg);
  const udp::endpoint nobody{loopback, static_cast<unsigned short>(tern::test::free_udp_port("127.0.0.1"))};

  SUBCASE("nobody answers: stun_timeout after Rc requests") {
    const auto d = discover(io, ep, nobody);
    CHECK(d.ec == tern::errc::stun_timeout);
    CHECK(ep.info().stun_requests_sent == 2);
  }
  SUBCASE("a connecting-only endpoint does not answer by default: stun_timeout, nothing answered") {
    // Issue 17: every endpoint, clients included, used to reflect requests.
    tern::endpoint client(io.get_executor(), {loopback, 0});
    const auto d = discover(io, ep, client.local_endpoint());
    CHECK(d.ec == tern::errc::stun_timeout);
    CHECK(ep.info().stun_requests_sent == 2);
    CHECK(client.info().stun_requests_answered == 0);
  }
  SUBCASE("cancellation completes with operation_aborted and stops the retransmissions") {
    tern::config slow = cfg;
    slow.stun_initial_rto = 10s;
    tern::endpoint e2(io.get_executor(), {loopback, 0}, slow);
    asio::cancellation_signal signal;
    discovery d;
    e2.async_discover(nobody, asio::bind_cancellation_slot(signal.slot(), [&](std::error_code ec, udp::endpoint) {
                        d.done = true;
                        d.ec = ec;
                      }));
    io.restart();
    io.run_for(50ms);
    CHECK_FALSE(d.done);
    signal.emit(asio::cancellation_type::terminal);
    io.restart();
    io.run_for(50ms);
    REQUIRE(d.done);
    CHECK(d.ec == asio::error::operation_aborted);
    CHECK(e2.info().stun_requests_sent == 1);
  }
  SUBCASE("an IPv6 server from an IPv4 socket is invalid_argument") {
    const auto d = discover(io, ep, {asio::ip::make_address("::1"), 3478});
    CHECK(d.ec == tern::errc::invalid_argument);
  }
  SUBCASE("a closed endpoint fails at once, pending ones abort") {
    tern::config slow = cfg;
    slow.stun_initial_rto = 10s;
    tern::endpoint e2(io.get_executor(), {loopback, 0}, slow);
    discovery pending, waiting;
    e2.async_discover(nobody, [&](std::error_code ec, udp::endpoint) {
      pending.done = true;
      pending.ec = ec;
    });
    e2.async_wait_mapped_address_change([&](std::error_code ec, udp::endpoint) {
      waiting.done = true;
      waiting.ec = ec;
    });
    e2.close();
    io.restart();
    io.run_for(50ms);
    REQUIRE(pending.done);
    REQUIRE(waiting.done);
    CHECK(pending.ec == asio::error::operation_aborted);
    CHECK(waiting.ec == asio::error::operation_aborted);
    const auto d = discover(io, e2, nobody);
    CHECK(d.ec == tern::errc::endpoint_closed);
  }
}

namespace {

// A STUN server in the test's own io_context that reports whatever mapped
// address it is told to: a NAT that rebinds, seen from the endpoint.
class lying_server {
public:
  explicit lying_server(asio::io_context& io) : socket_(io, udp::endpoint{loopback, 0}) { receive(); }
  udp::endpoint address() const { return socket_.local_endpoint(); }
  void report(const tern::stun::transport_address& a) { mapped_ = a; }
  int answered = 0;

private:
  void receive() {
    socket_.async_receive_from(asio::buffer(in_), from_, [this](std::error_code ec, std::size_t n) {
      if (ec) return;
      tern::stun::binding_responder responder;
      const auto r = responder.handle(std::span<const std::byte>(in_.data(), n), mapped_, out_);
      if (r.what == tern::stun::responder_result::action::reply) {
        ++answered;
        socket_.send_to(asio::buffer(r.reply.data(), r.reply.size()), from_);
      }
      receive();
    });
  }
  udp::socket socket_;
  udp::endpoint from_;
  std::array<std::byte, 1500> in_{};
  std::array<std::byte, 1500> out_{};
  tern::stun::transport_address mapped_ = tern::stun::transport_address::ipv4({203, 0, 113, 7}, 40000);
};

} // namespace

TEST_CASE("endpoint: async_wait_mapped_address_change fires when the server reports a new mapping") {
  asio::io_context io;
  lying_server server(io);
  tern::endpoint ep(io.get_executor(), {loopback, 0});
  const auto first = discover(io, ep, server.address());
  REQUIRE_FALSE(first.ec);
  CHECK(first.reflexive == udp::endpoint(asio::ip::make_address("203.0.113.7"), 40000));

  discovery change;
  ep.async_wait_mapped_address_change([&](std::error_code ec, udp::endpoint e) {
    change.done = true;
    change.ec = ec;
    change.reflexive = e;
  });
  // Same answer: no change.
  REQUIRE_FALSE(discover(io, ep, server.address()).ec);
  io.restart();
  io.poll();
  CHECK_FALSE(change.done);
  // The NAT rebinds: a new port.
  server.report(tern::stun::transport_address::ipv4({203, 0, 113, 7}, 40123));
  const auto second = discover(io, ep, server.address());
  REQUIRE_FALSE(second.ec);
  io.restart();
  io.poll();
  REQUIRE(change.done);
  CHECK_FALSE(change.ec);
  CHECK(change.reflexive == udp::endpoint(asio::ip::make_address("203.0.113.7"), 40123));
  CHECK(server.answered == 3);
}

TEST_CASE("endpoint: an idle connection gets NAT keepalive Binding Indications, wired to the endpoint timer") {
  // Real time, so the shortest interval (15 s) and no jitter; the core's own
  // PINGs are off so the STUN keepalive is what keeps the path alive. The
  // interval-and-jitter schedule itself is tested in virtual time
  // (stun_tests, nat_agent).
  tern::config cfg;
  cfg.keepalive_interval = 0s;
  cfg.idle_timeout = 120s;
  cfg.nat_keepalive_interval = 15s;
  cfg.nat_keepalive_jitter = 0s;
  tern::config server_cfg = cfg;
  server_cfg.accept_connections = true;
  asio::io_context io;
  tern::endpoint a(io.get_executor(), {loopback, 0}, server_cfg);
  tern::endpoint b(io.get_executor(), {loopback, 0}, cfg);
  std::optional<tern::connection> ca, cb;
  a.async_accept([&](std::error_code ec, tern::connection c) {
    if (!ec) ca.emplace(std::move(c));
  });
  tern::connect_options pin;
  pin.pinned_fingerprints = {a.fingerprint()};
  b.async_connect(a.local_endpoint(), pin, [&](std::error_code ec, tern::connection c) {
    if (!ec) cb.emplace(std::move(c));
  });
  const auto start = std::chrono::steady_clock::now();
  while (!(ca && cb) && std::chrono::steady_clock::now() < start + 30s) io.run_one_for(1s);
  REQUIRE(ca);
  REQUIRE(cb);

  // Well within the interval: nothing yet.
  io.restart();
  io.run_for(8s);
  CHECK(a.info().stun_indications_sent == 0);
  CHECK(b.info().stun_indications_sent == 0);
  // About 15 s after the last packet each side sends one.
  const auto until = std::chrono::steady_clock::now() + 40s;
  while ((a.info().stun_indications_sent == 0 || b.info().stun_indications_sent == 0) &&
         std::chrono::steady_clock::now() < until)
    io.run_for(200ms);
  CHECK(a.info().stun_indications_sent >= 1);
  CHECK(b.info().stun_indications_sent >= 1);
  // Received indications are STUN, not unroutable tern packets, and the
  // connections are still up.
  CHECK(a.info().datagrams_dropped == 0);
  CHECK(b.info().datagrams_dropped == 0);
  CHECK(a.info().connections == 1);
  CHECK(b.info().connections == 1);
}
