// Session tickets and resumption at the connection (docs/crypto.md,
// "Resumption"; connection_resumption.cpp): the client keeps the server's
// ticket, the next connection resumes without certificates, and a ticket
// the server cannot use leaves a full handshake.

#include "harness.hpp"
#include "resumption_support.hpp"

#include "crypto/crypto_error.hpp"

#include <ctime>
#include <memory>

using namespace tern;
using namespace tern::core;
using namespace tern::core::test;

TEST_CASE("resumption: the client receives a ticket after the handshake and the next connection resumes") {
  const auto configs = resumable_configs();
  network first(configs);
  const auto ticket = ticket_from(first);
  CHECK_FALSE(first.client->resumed());
  CHECK_FALSE(first.server->resumed());
  // The kept TLS session is freed once the ticket arrived, keeping what the
  // connection reports.
  CHECK(first.client->alpn() == "tern/1");
  REQUIRE(first.client->peer_fingerprint());

  network second(configs);
  second.client_ticket = ticket;
  REQUIRE(second.handshake());
  CHECK(second.client->resumed());
  CHECK(second.server->resumed());
  CHECK_FALSE(second.client->ticket_refused());
  REQUIRE(second.client->peer_fingerprint());
  CHECK(crypto::format_fingerprint(*second.client->peer_fingerprint()) == server_identity().fingerprint());
  // A fresh ticket from the resumed connection too.
  REQUIRE(second.run_until([&] { return !second.client->session_ticket().empty(); }, 1s));
  CHECK(second.client->session_ticket() != ticket);

  // Data flows on the resumed connection.
  std::error_code ec;
  const auto id = second.client->open_stream(stream::direction::bidi, ec);
  REQUIRE(id);
  const auto data = pattern(5000, 7);
  CHECK(second.client->write(*id, data, ec) == data.size());
  REQUIRE_FALSE(second.client->finish(*id));
  std::vector<std::byte> got;
  REQUIRE(second.run_until([&] {
    if (auto s = second.server->accept_stream(stream::direction::bidi)) (void)s;
    std::array<std::byte, 4096> buf{};
    auto r = second.server->read(*id, buf, ec);
    got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.bytes));
    return r.fin;
  }));
  CHECK(got == data);
}

TEST_CASE("resumption: a server with other ticket keys falls back to a full handshake") {
  network first(resumable_configs());
  const auto ticket = ticket_from(first);
  auto other = resumable_configs();
  std::error_code ec;
  other.second.tls.tickets.keys = crypto::ticket_key_ring::generate(ec);
  network second(other);
  second.client_ticket = ticket;
  REQUIRE(second.handshake());
  CHECK_FALSE(second.client->resumed());
  CHECK_FALSE(second.server->resumed());
}

TEST_CASE("resumption: the server's ticket key rotates on its clock, and a ticket two rotations old gets a full "
          "handshake") {
  // The servers' Unix clock is the test's (OpenSSL stamps sessions with the
  // real one, so it starts there and only moves forward).
  auto configs = resumable_configs();
  auto clock = std::make_shared<std::int64_t>(std::time(nullptr));
  const std::int64_t boundary = *clock / 600 * 600;
  std::error_code ec;
  configs.second.tls.tickets.keys =
      crypto::ticket_key_ring::rotating(std::chrono::seconds(600), {}, *clock, ec);
  REQUIRE(configs.second.tls.tickets.keys);
  configs.second.tls.tickets.unix_time = [clock] { return *clock; };
  network first(configs);
  const auto ticket = ticket_from(first);

  *clock = boundary + 600; // one rotation: still opens, and is renewed
  network next(configs);
  next.client_ticket = ticket;
  const auto renewed = ticket_from(next);
  CHECK(next.server->resumed());

  *clock = boundary + 1200; // two rotations: the first ticket's key is gone
  network late(configs);
  late.client_ticket = ticket;
  REQUIRE(late.handshake());
  CHECK_FALSE(late.server->resumed());
  CHECK_FALSE(late.client->ticket_refused()); // offered, refused by the server: a full handshake
  network renewed_late(configs);
  renewed_late.client_ticket = renewed; // sealed one period ago
  REQUIRE(renewed_late.handshake());
  CHECK(renewed_late.server->resumed());
}

TEST_CASE("resumption: a ticket the client will not offer is reported and the handshake is full") {
  network first(resumable_configs());
  const auto ticket = ticket_from(first);
  auto other = resumable_configs();
  other.first.tls.alpn = {"tern/2"};
  other.second.tls.alpn = {"tern/1", "tern/2"};
  network second(other);
  second.client_ticket = ticket;
  REQUIRE(second.handshake());
  CHECK(second.client->ticket_refused() == crypto::crypto_errc::ticket_mismatch);
  CHECK_FALSE(second.client->resumed());
  CHECK(second.client->alpn() == "tern/2");
}

TEST_CASE("resumption: a client that does not keep tickets frees its session at confirmation") {
  auto configs = resumable_configs();
  configs.first.tls.resumption = false;
  network net(configs);
  REQUIRE(net.handshake());
  REQUIRE(net.run_until([] { return false; }, 200ms) == false);
  CHECK(net.client->session_ticket().empty());
  CHECK(net.client->is_established()); // the ticket's CRYPTO bytes broke nothing
}

namespace {

/// Time from connect() to the server's first stream byte, and to the
/// client's first byte of the answer, on a `one_way` path: the client
/// writes `request` right after connect(), the server answers as soon as it
/// reads the request's first byte.
struct first_bytes {
  duration to_server{};
  duration to_client{};
  std::vector<std::byte> server_got;
};

first_bytes request_and_answer(network& net, std::span<const std::byte> request, bool allow_early = true) {
  net.start();
  const time_point start = net.now;
  std::error_code ec;
  const auto id = net.client->open_stream(stream::direction::bidi, allow_early, ec);
  REQUIRE(id);
  REQUIRE(net.client->write(*id, request, ec) == request.size());
  REQUIRE_FALSE(net.client->finish(*id));
  first_bytes out;
  bool answered = false;
  bool done = false;
  REQUIRE(net.run_until([&] {
    if (net.server) {
      std::array<std::byte, 4096> buf{};
      std::error_code e;
      const auto r = net.server->read(*id, buf, e);
      if (r.bytes > 0 && out.server_got.empty()) out.to_server = net.now - start;
      out.server_got.insert(out.server_got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.bytes));
      if (!answered && !out.server_got.empty()) {
        const std::array<std::byte, 1> reply{std::byte{42}};
        answered = net.server->write(*id, reply, e) == 1 && !net.server->finish(*id);
      }
      if (r.fin) done = true;
    }
    std::array<std::byte, 16> back{};
    std::error_code e;
    if (net.client->read(*id, back, e).bytes > 0) out.to_client = net.now - start;
    return done && out.to_client > duration::zero();
  }, 10s));
  return out;
}

} // namespace

TEST_CASE("0-RTT: a resumed client's first flight carries stream data and the server reads it one way after connect") {
  const auto configs = resumable_configs(true);
  network first(configs);
  first.one_way = 50ms;
  const auto ticket = ticket_from(first);
  const auto request = pattern(600, 3);

  network full(configs);
  full.one_way = 50ms;
  const auto before = request_and_answer(full, request);
  CHECK(before.server_got == request);

  network resumed(configs);
  resumed.one_way = 50ms;
  resumed.client_ticket = ticket;
  resumed.client_early_data = true;
  const auto after = request_and_answer(resumed, request);
  CHECK(after.server_got == request);
  CHECK(resumed.server->early_data_accepted());
  CHECK(resumed.client->early_data_accepted());
  CHECK_FALSE(resumed.client->early_data_rejected());
  MESSAGE("100 ms RTT: first byte at the server ", std::chrono::duration_cast<std::chrono::milliseconds>(before.to_server).count(),
          " ms (full) vs ", std::chrono::duration_cast<std::chrono::milliseconds>(after.to_server).count(),
          " ms (0-RTT); first answer byte at the client ",
          std::chrono::duration_cast<std::chrono::milliseconds>(before.to_client).count(), " ms vs ",
          std::chrono::duration_cast<std::chrono::milliseconds>(after.to_client).count(), " ms");
  CHECK(before.to_server == 150ms);
  CHECK(before.to_client == 200ms);
  CHECK(after.to_server == 50ms);
  CHECK(after.to_client == 100ms);
}

TEST_CASE("0-RTT: a server that rejects early data gets every byte once, under 1-RTT keys") {
  network net(rejecting_configs());
  resume_early(net, rejecting_ticket(), 10ms);
  const auto request = pattern(20000, 5); // more than the first datagram
  const auto got = request_and_answer(net, request);
  CHECK(got.server_got == request);
  CHECK(net.client->resumed());
  CHECK(net.client->early_data_rejected());
  CHECK_FALSE(net.server->early_data_accepted());
}

TEST_CASE(
    "0-RTT: rejected 0-RTT packets are not congestion losses: the window and loss counters are untouched") {
  // The server dropped them unopened; the path lost nothing (RFC 9002 §6.4).
  // NewReno on the client: a congestion event would end slow start and
  // halve the window below the initial one.
  auto configs = resumable_configs(true);
  network first(configs);
  const auto ticket = ticket_from(first);
  configs.second.tls.tickets.accept_early_data = false;
  configs.first.congestion = cc::algorithm::new_reno;
  network net(configs);
  net.client_ticket = ticket;
  net.client_early_data = true;
  const auto request = pattern(4000, 7); // a few 0-RTT packets
  const auto got = request_and_answer(net, request);
  CHECK(got.server_got == request);
  REQUIRE(net.client->early_data_rejected());
  // Let every retransmission be acknowledged.
  REQUIRE_FALSE(net.run_until([] { return false; }, 500ms));
  const auto s = net.client->stats();
  CHECK(s.zero_rtt_packets_discarded > 0);
  CHECK(s.packets_lost == 0);
  CHECK(s.bytes_in_flight == 0);
  const cc::controller_config defaults{};
  CHECK(s.cwnd >= defaults.initial_window_packets * defaults.max_datagram_size);
}

TEST_CASE("0-RTT: a replayed first flight is not delivered twice, from the same or another address") {
  const auto configs = resumable_configs(true);
  network first(configs);
  const auto ticket = ticket_from(first);
  const auto request = pattern(300, 9);

  // Capture the client's first datagram (ClientHello + 0-RTT request).
  network net(configs);
  net.client_ticket = ticket;
  net.client_early_data = true;
  std::vector<std::byte> captured;
  net.hook = [&](bool to_server, std::vector<std::byte>& bytes) {
    if (to_server && captured.empty()) captured = bytes;
    return true;
  };
  const auto got = request_and_answer(net, request);
  CHECK(got.server_got == request);
  REQUIRE(net.server->early_data_accepted());
  REQUIRE_FALSE(captured.empty());

  for (const address from : {net.client_addr, address::ipv4({10, 9, 9, 9}, 5555)}) {
    // The same datagram arrives again, at a server endpoint sharing the
    // ticket keys and replay register (the original connection is gone, so
    // it starts a new handshake).
    network replay(configs);
    replay.hook = [](bool to_server, std::vector<std::byte>&) { return !to_server; }; // its own client is mute
    replay.start();
    replay.client_addr = from;
    replay.queue.push_back(in_flight{replay.now, true, captured, from});
    std::size_t delivered = 0;
    replay.run_until([&] {
      if (replay.server) {
        std::array<std::byte, 4096> buf{};
        std::error_code e;
        delivered += replay.server->read(0, buf, e).bytes;
      }
      return false;
    }, 2s);
    REQUIRE(replay.server);
    CHECK_FALSE(replay.server->early_data_accepted());
    CHECK(delivered == 0);
  }
}

TEST_CASE("0-RTT: early data larger than the first datagram arrives whole, in order, once") {
  const auto configs = resumable_configs(true);
  network first(configs);
  const auto ticket = ticket_from(first);
  network net(configs);
  net.client_ticket = ticket;
  net.client_early_data = true;
  net.loss = 0.05;
  const auto request = pattern(30000, 11);
  const auto got = request_and_answer(net, request);
  CHECK(got.server_got == request);
  CHECK(net.server->early_data_accepted());
  CHECK(net.client->early_data_accepted());
}

namespace {

/// What the server read on one stream, and when its first byte came.
struct stream_arrival {
  std::vector<std::byte> got;
  duration first{};
  bool fin = false;
};

/// The client writes `early` on a stream allowed early and `late` on one
/// that is not, both before the handshake completes, and finishes both; the
/// server reads both streams to their FIN.
std::pair<stream_arrival, stream_arrival> early_and_late(network& net, std::span<const std::byte> early,
                                                         std::span<const std::byte> late) {
  net.start();
  const time_point start = net.now;
  std::error_code ec;
  const auto early_id = net.client->open_stream(stream::direction::uni, true, ec);
  const auto late_id = net.client->open_stream(stream::direction::uni, false, ec);
  REQUIRE(early_id);
  REQUIRE(late_id);
  REQUIRE(net.client->write(*early_id, early, ec) == early.size());
  REQUIRE(net.client->write(*late_id, late, ec) == late.size());
  REQUIRE_FALSE(net.client->finish(*early_id));
  REQUIRE_FALSE(net.client->finish(*late_id));
  std::pair<stream_arrival, stream_arrival> out;
  const auto drain = [&](std::uint64_t id, stream_arrival& a) {
    std::array<std::byte, 4096> buf{};
    std::error_code e;
    const auto r = net.server->read(id, buf, e);
    if (r.bytes > 0 && a.got.empty()) a.first = net.now - start;
    a.got.insert(a.got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.bytes));
    a.fin = a.fin || r.fin;
  };
  REQUIRE(net.run_until([&] {
    if (net.server) {
      drain(*early_id, out.first);
      drain(*late_id, out.second);
    }
    return out.first.fin && out.second.fin;
  }, 10s));
  return out;
}

} // namespace

TEST_CASE("0-RTT: only streams the application allowed early travel early, the rest waits for the handshake") {
  const auto configs = resumable_configs(true);
  const auto early = pattern(500, 21);
  const auto late = pattern(700, 22);
  network net(configs);
  resume_early(net, first_ticket(configs, 50ms), 50ms);
  const auto [e, l] = early_and_late(net, early, late);
  CHECK(e.got == early);
  CHECK(l.got == late);
  CHECK(net.server->early_data_accepted());
  // 100 ms RTT: the early stream in the first flight, one way after
  // connect; the other after the client's handshake completed (one RTT),
  // one more way: under 1-RTT keys, never replayable.
  CHECK(e.first == 50ms);
  CHECK(l.first == 150ms);
}

TEST_CASE("0-RTT: a connection offering early data with no stream allowed early sends nothing early") {
  const auto configs = resumable_configs(true);
  const auto request = pattern(600, 23);
  network net(configs);
  resume_early(net, first_ticket(configs, 50ms), 50ms);
  const auto got = request_and_answer(net, request, false);
  CHECK(got.server_got == request);
  CHECK(got.to_server == 150ms);
  CHECK(net.client->resumed());
  // Nothing went in 0-RTT packets, so there was nothing to accept.
  CHECK_FALSE(net.client->early_data_accepted());
  CHECK_FALSE(net.client->early_data_rejected());
}

TEST_CASE("0-RTT: a rejection resends only the streams that went early, each byte once") {
  network net(rejecting_configs());
  resume_early(net, rejecting_ticket(), 10ms);
  const auto early = pattern(900, 24);
  const auto late = pattern(5000, 25);
  const auto [e, l] = early_and_late(net, early, late);
  CHECK(e.got == early);
  CHECK(l.got == late);
  CHECK(net.client->early_data_rejected());
  // No loss on this path: the only data sent twice is the rejected early
  // stream's, not the stream that waited for the handshake.
  CHECK(net.client->stats().stream_bytes_retransmitted == early.size());
}


TEST_CASE("resumption: a client hears handshake_complete at completion, one RTT, resumed or not (the server "
          "asked for no certificate)") {
  const auto configs = resumable_configs();
  const auto ticket = first_ticket(configs, 50ms);
  network full(configs);
  full.one_way = 50ms;
  CHECK(client_handshake_event(full) == 100ms);
  CHECK_FALSE(full.client->is_established()); // confirmation follows
  REQUIRE(full.run_until([&] { return full.client->is_established(); }, 1s));
  network resumed(configs);
  resumed.one_way = 50ms;
  resumed.client_ticket = ticket;
  CHECK(client_handshake_event(resumed) == 100ms);
  CHECK(resumed.client->resumed());
  // Confirmation still follows, one round trip later.
  CHECK_FALSE(resumed.client->is_established());
  REQUIRE(resumed.run_until([&] { return resumed.client->is_established(); }, 1s));
}
