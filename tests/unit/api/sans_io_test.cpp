// The public bring-your-own-I/O API (tern/sans_io.hpp), driven the way an
// application with its own loop drives it, over an in-memory "network" in
// virtual time with seeded loss. Every datagram goes through the endpoints,
// so routing, admission and timers are the production core::endpoint's.

#include "crypto/certificate.hpp"
#include "crypto/crypto_error.hpp"
#include "support/seed.hpp"

#include <tern/error.hpp>
#include <tern/random.hpp>
#include <tern/sans_io.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <deque>
#include <stdexcept>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using tern::sans_io::connection;
using tern::sans_io::endpoint;
using tern::sans_io::event;

const tern::address client_addr = tern::address::ipv4({192, 0, 2, 1}, 5000);
const tern::address server_addr = tern::address::ipv4({192, 0, 2, 2}, 6000);

struct datagram {
  std::vector<std::byte> bytes;
  tern::address from, to;
  tern::time_point arrives;
};

// Two endpoints joined by a 10 ms one-way path that drops `loss` of the
// datagrams (seeded). The server connection is the first one its endpoint
// accepts.
struct network {
  endpoint server_ep;
  endpoint client_ep;
  std::unique_ptr<connection> client, server;
  std::deque<datagram> in_flight;
  tern::time_point now{std::chrono::seconds(1)};
  tern::random_source rng{tern::test::seed()};
  double loss = 0;

  static tern::config server_config() {
    tern::config c;
    c.accept_connections = true;
    return c;
  }
  static tern::config client_config(const endpoint& server) {
    tern::config c;
    c.pinned_fingerprints = {server.fingerprint()};
    return c;
  }
  static endpoint make(const tern::config& cfg, std::uint64_t seed) {
    std::error_code ec;
    endpoint ep(cfg, ec, seed);
    REQUIRE_FALSE(ec);
    return ep;
  }

  explicit network(const tern::config& server_cfg = server_config())
      : server_ep(make(server_cfg, 1)), client_ep(make(client_config(server_ep), 2)) {
    std::error_code ec;
    client = client_ep.connect(server_addr, {}, now, ec);
    REQUIRE(client);
  }
  /// The same with the client's own config (the server pin is added).
  network(const tern::config& server_cfg, tern::config client_cfg)
      : server_ep(make(server_cfg, 1)), client_ep(make(pinned(std::move(client_cfg), server_ep), 2)) {
    std::error_code ec;
    client = client_ep.connect(server_addr, {}, now, ec);
    REQUIRE(client);
  }
  static tern::config pinned(tern::config c, const endpoint& server) {
    c.pinned_fingerprints = {server.fingerprint()};
    return c;
  }

  void send(std::span<const std::byte> bytes, const tern::address& from, const tern::address& to) {
    if (rng.uniform01() < loss) return;
    in_flight.push_back({{bytes.begin(), bytes.end()}, from, to, now + 10ms});
  }
  void send_all(endpoint& ep, connection* c, const tern::address& from) {
    std::array<std::byte, 1500> out{};
    while (auto t = ep.poll_transmit(out, now)) send(std::span(out).first(t->size), from, t->to);
    if (!c) return;
    while (auto t = c->poll_transmit(out, now)) send(std::span(out).first(t->size), from, t->to);
  }

  // Advances to the next arrival or timeout and processes it.
  void step() {
    send_all(client_ep, client.get(), client_addr);
    send_all(server_ep, server.get(), server_addr);
    tern::time_point next = std::min(client_ep.next_timeout(), server_ep.next_timeout());
    if (!in_flight.empty()) next = std::min(next, in_flight.front().arrives);
    REQUIRE(next != tern::never);
    now = std::max(now, next);
    while (!in_flight.empty() && in_flight.front().arrives <= now) {
      auto d = std::move(in_flight.front());
      in_flight.pop_front();
      if (d.to == client_addr) {
        auto r = client_ep.on_datagram(d.bytes, d.from, now);
        CHECK_FALSE(r.accepted); // a client endpoint never accepts
        continue;
      }
      auto r = server_ep.on_datagram(d.bytes, d.from, now);
      if (r.accepted) {
        REQUIRE_FALSE(server); // one client, one connection
        server = std::move(r.accepted);
      }
    }
    (void)client_ep.on_timeout(now);
    (void)server_ep.on_timeout(now);
  }

  template <class Done>
  void run_until(Done done, tern::duration limit = 120s) {
    const auto start = now;
    while (!done()) {
      step();
      REQUIRE_MESSAGE(now - start < limit, "no progress; seed " << tern::test::seed());
    }
  }

  bool handshaked() const { return client->is_established() && server && server->is_established(); }
};

/// The first datagram a new client connection of `ep` sends.
std::vector<std::byte> first_initial(endpoint& ep, tern::time_point now, const std::vector<std::byte>& token = {}) {
  tern::connect_options options;
  options.address_token = token;
  options.accept_any_server_key = true; // only its first datagram is used
  std::error_code ec;
  auto c = ep.connect(server_addr, options, now, ec);
  REQUIRE(c);
  std::array<std::byte, 1500> out{};
  auto sent = c->poll_transmit(out, now);
  REQUIRE(sent);
  return {out.begin(), out.begin() + static_cast<std::ptrdiff_t>(sent->size)};
}

/// A client config holding a fresh certificate (PEM), as an application
/// that keeps its key would load it.
tern::config client_with_certificate() {
  std::error_code ec;
  const auto id = tern::crypto::generate_self_signed(tern::crypto::key_algorithm::ec_p256, "client", ec);
  REQUIRE_FALSE(ec);
  tern::config c;
  c.certificate_chain_pem = id.certificate_chain_pem();
  c.private_key_pem = id.private_key_pem();
  return c;
}

tern::config requiring_server(std::vector<std::string> pins = {}) {
  tern::config c = network::server_config();
  c.client_auth = tern::client_authentication::require;
  c.pinned_client_fingerprints = std::move(pins);
  return c;
}

/// Re-pins `net`'s client endpoint to another endpoint's generated
/// certificate, not the server's (its connection is left to the caller).
void pin_client_elsewhere(network& net) {
  std::error_code ec;
  endpoint other(network::server_config(), ec, 3);
  REQUIRE_FALSE(ec);
  tern::config ccfg;
  ccfg.pinned_fingerprints = {other.fingerprint()};
  net.client_ep = endpoint(ccfg, ec, 2);
  REQUIRE_FALSE(ec);
}

/// `client` closed because its handshake failed in TLS.
void check_refused_by_tls(const connection& client) {
  REQUIRE(client.close_error());
  CHECK(std::string(client.close_error().category().name()) == "tern.crypto");
}

bool both_closed(const network& net) { return net.client->is_closed() && net.server && net.server->is_closed(); }

std::vector<std::byte> pattern(std::size_t n) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>((i * 7) ^ (i >> 8));
  return v;
}

} // namespace

TEST_CASE("sans_io: handshake, pinned fingerprint and ALPN, over a lossy path") {
  network net;
  net.loss = 0.1;
  net.run_until([&] { return net.handshaked(); });
  CHECK(net.client->alpn() == "tern/1");
  CHECK(net.client->peer_fingerprint() == net.server_ep.fingerprint());
  CHECK(net.server->remote_address() == client_addr);
  CHECK(net.client->remote_address() == server_addr);
  CHECK(net.server_ep.stats().connections == 1);
  CHECK(net.client_ep.stats().connections == 1);
}

TEST_CASE("sans_io: with require_address_validation the client follows one Retry, a token-less Initial gets one") {
  tern::config cfg = network::server_config();
  cfg.require_address_validation = true;
  network net(cfg);
  net.run_until([&] { return net.handshaked(); });
  CHECK(net.server_ep.stats().retries_sent == 1);
  // Another token-less Initial creates no connection: a Retry waits instead.
  auto initial = first_initial(net.client_ep, net.now);
  auto r = net.server_ep.on_datagram(initial, client_addr, net.now);
  CHECK(r.conn == nullptr);
  CHECK_FALSE(r.accepted);
  std::array<std::byte, 1500> out{};
  auto retry = net.server_ep.poll_transmit(out, net.now);
  REQUIRE(retry);
  CHECK(retry->size < initial.size()); // no amplification for a spoofed source
  CHECK(retry->to == client_addr);
  CHECK(net.server_ep.stats().retries_sent == 2);
  CHECK(net.server_ep.stats().connections == 1);
}

TEST_CASE("sans_io: the NEW_TOKEN token of a first connection admits the next Initial without a Retry") {
  tern::config cfg = network::server_config();
  cfg.require_address_validation = true;
  network net(cfg);
  net.run_until([&] { return net.handshaked() && !net.client->address_token().empty(); });
  CHECK(net.server_ep.stats().retries_sent == 1);
  const auto token = net.client->address_token();

  auto with_token = first_initial(net.client_ep, net.now, token);
  auto r = net.server_ep.on_datagram(with_token, client_addr, net.now);
  CHECK(r.accepted != nullptr);
  CHECK(net.server_ep.stats().retries_sent == 1);

  // Tampered: as if there were no token, a Retry and no connection.
  auto forged = token;
  forged.back() ^= std::byte{0x01};
  auto with_forged = first_initial(net.client_ep, net.now, forged);
  r = net.server_ep.on_datagram(with_forged, client_addr, net.now);
  CHECK_FALSE(r.accepted);
  CHECK(net.server_ep.stats().retries_sent == 2);
}

TEST_CASE("sans_io: new_token_lifetime zero sends no NEW_TOKEN, negative is invalid") {
  tern::config cfg = network::server_config();
  cfg.require_address_validation = true;
  cfg.new_token_lifetime = std::chrono::nanoseconds(-1);
  std::error_code ec;
  endpoint bad(cfg, ec, 1);
  CHECK(ec == tern::errc::invalid_argument);

  cfg.new_token_lifetime = std::chrono::nanoseconds::zero();
  network net(cfg);
  net.run_until([&] { return net.handshaked(); });
  // Long enough for a NEW_TOKEN sent with the handshake's last flight.
  const auto until = net.now + 500ms;
  net.run_until([&] { return net.now >= until; });
  CHECK(net.client->address_token().empty());
}

TEST_CASE("sans_io: a stream carries 1 MiB intact through 5% loss and FIN") {
  network net;
  net.loss = 0.05;
  net.run_until([&] { return net.handshaked(); });
  std::error_code ec;
  auto id = net.client->open_stream(false, ec);
  REQUIRE(id);
  REQUIRE_FALSE(ec);
  const auto payload = pattern(1 << 20);
  std::size_t written = 0;
  bool finished = false;
  std::vector<std::byte> received;
  std::optional<std::uint64_t> server_stream;
  bool fin = false;
  std::array<std::byte, 4096> buf{};
  net.run_until([&] {
    while (written < payload.size()) {
      const auto n = net.client->write(*id, std::span(payload).subspan(written), ec);
      REQUIRE_FALSE(ec);
      if (n == 0) break;
      written += n;
    }
    if (written == payload.size() && !finished) finished = !net.client->finish(*id);
    while (auto e = net.server->poll_event())
      if (e->what == event::kind::stream_opened) server_stream = net.server->accept_stream(false);
    if (server_stream) {
      for (;;) {
        const auto r = net.server->read(*server_stream, buf, ec);
        REQUIRE_FALSE(ec);
        received.insert(received.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.bytes));
        fin = fin || r.fin;
        if (r.bytes == 0) break;
      }
    }
    return fin;
  });
  CHECK(received == payload);
  CHECK(net.server->stats().stream_bytes_received == payload.size());
  CHECK(net.client->stats().packets_lost > 0);
}

TEST_CASE("sans_io: a reset stream reports the peer's code") {
  network net;
  net.run_until([&] { return net.handshaked(); });
  std::error_code ec;
  auto id = net.client->open_stream(false, ec);
  REQUIRE(id);
  const auto payload = pattern(100);
  REQUIRE(net.client->write(*id, payload, ec) == payload.size());
  std::optional<std::uint64_t> server_stream;
  net.run_until([&] {
    while (auto e = net.server->poll_event())
      if (e->what == event::kind::stream_opened) server_stream = net.server->accept_stream(false);
    return server_stream.has_value();
  });
  REQUIRE_FALSE(net.client->reset_stream(*id, 42));
  std::optional<std::uint64_t> code;
  std::array<std::byte, 256> buf{};
  net.run_until([&] {
    const auto r = net.server->read(*server_stream, buf, ec);
    if (ec) {
      CHECK(ec == tern::errc::stream_reset);
      code = r.reset_code;
      return true;
    }
    return false;
  });
  CHECK(code == std::optional<std::uint64_t>(42));
}

TEST_CASE("sans_io: datagrams and deadline messages, then a close the peer sees") {
  network net;
  net.run_until([&] { return net.handshaked(); });
  const std::string text = "frame";
  std::error_code ec;
  REQUIRE_FALSE(net.client->send_datagram(std::as_bytes(std::span(text))));
  const auto mid = net.client->send_message(std::as_bytes(std::span(text)), net.now + 400ms, net.now, ec);
  REQUIRE(mid);
  bool got_datagram = false, got_message = false;
  net.run_until([&] {
    std::array<std::byte, 64> buf{};
    if (auto n = net.server->receive_datagram(buf)) got_datagram = *n == text.size();
    if (auto m = net.server->receive_message(net.now)) got_message = !m->dropped && m->id == *mid && m->data.size() == text.size();
    return got_datagram && got_message;
  });
  net.client->close(7, "bye", net.now);
  net.run_until([&] { return net.server->is_closed() && net.client->is_closed(); });
  CHECK(net.server->close_error() == tern::errc::closed_by_peer);
  CHECK(net.server->close_code() == 7);
  CHECK(net.server->close_reason() == "bye");
}

TEST_CASE("sans_io: a wrong pin fails the handshake on both sides") {
  network net;
  pin_client_elsewhere(net);
  std::error_code ec;
  net.client = net.client_ep.connect(server_addr, {}, net.now, ec);
  REQUIRE(net.client);
  net.run_until([&] { return net.client->is_closed() && net.server && net.server->is_closed(); }, 30s);
  CHECK_FALSE(net.server->is_established());
  check_refused_by_tls(*net.client);
}

TEST_CASE("sans_io: a connect accepting any server key leaves no context to a later one that pins") {
  // The client's config pins another endpoint's key; one connect overrides
  // that with accept_any_server_key and reaches the server. A later connect
  // with the config's defaults must still check the pin (a cached context
  // keyed on too little would hand it the accept-any verification).
  network net;
  pin_client_elsewhere(net);
  std::error_code ec;
  tern::connect_options any;
  any.accept_any_server_key = true;
  net.client = net.client_ep.connect(server_addr, any, net.now, ec);
  REQUIRE(net.client);
  net.run_until([&] { return net.handshaked(); }, 30s);

  net.server.reset();
  net.client = net.client_ep.connect(server_addr, {}, net.now, ec);
  REQUIRE(net.client);
  net.run_until([&] { return net.client->is_closed(); }, 30s);
  CHECK_FALSE(net.client->is_established());
  check_refused_by_tls(*net.client);
}

TEST_CASE("sans_io: garbage never starts a server connection, and a client endpoint never accepts") {
  std::error_code ec;
  endpoint server_ep(network::server_config(), ec, 1);
  REQUIRE_FALSE(ec);
  tern::random_source rng(tern::test::seed());
  std::vector<std::byte> junk(1300);
  for (int i = 0; i < 200; ++i) {
    rng.fill(junk);
    auto r = server_ep.on_datagram(junk, client_addr, tern::time_point{1s});
    CHECK(r.conn == nullptr);
  }
  CHECK(server_ep.stats().connections == 0);
  CHECK(server_ep.stats().datagrams_dropped == 200);
  // A real Initial to an endpoint that does not accept is dropped too.
  tern::config no_certificate;
  no_certificate.generate_certificate = false;
  endpoint client_ep(no_certificate, ec, 2);
  CHECK(client_ep.fingerprint().empty());
  endpoint another_client(tern::config{}, ec, 3);
  auto initial = first_initial(another_client, tern::time_point{1s});
  CHECK_FALSE(client_ep.on_datagram(initial, client_addr, tern::time_point{1s}).accepted);
  CHECK(client_ep.stats().datagrams_dropped == 1);
}

TEST_CASE("sans_io: connections handed to the application leave the backlog, max_connections bounds them all") {
  tern::config cfg = network::server_config();
  cfg.accept_backlog = 1;
  std::error_code ec;
  endpoint server_ep(cfg, ec, 1);
  endpoint client_ep(tern::config{}, ec, 2);
  const tern::time_point t{1s};
  auto first = server_ep.on_datagram(first_initial(client_ep, t), client_addr, t);
  REQUIRE(first.accepted);
  // The sans-IO application owns what it was handed: nothing waits in a
  // backlog, so a second one is accepted.
  CHECK(server_ep.on_datagram(first_initial(client_ep, t), client_addr, t).accepted);
  cfg.max_connections = 1;
  endpoint full(cfg, ec, 4);
  auto kept = full.on_datagram(first_initial(client_ep, t), client_addr, t);
  REQUIRE(kept.accepted);
  CHECK_FALSE(full.on_datagram(first_initial(client_ep, t), client_addr, t).accepted);
  CHECK(full.stats().datagrams_dropped == 1);
  kept.accepted.reset(); // destroying a connection frees its place
  CHECK(full.on_datagram(first_initial(client_ep, t), client_addr, t).accepted);
}

TEST_CASE("sans_io: under load a handshake its client leaves unanswered is dropped at the answer deadline, "
          "then its address waits (config and stats)") {
  tern::config cfg = network::server_config();
  cfg.max_half_open = 1;         // half of it is 0: a recently unanswered address waits at any load
  cfg.retry_above_half_open = 1; // one handshake in progress is a load
  cfg.min_handshake_answer = 200ms;
  cfg.max_handshake_answer = 200ms;
  cfg.unanswered_penalty = 5s;
  std::error_code ec;
  endpoint server_ep(cfg, ec, 1);
  REQUIRE_FALSE(ec);
  endpoint client_ep(tern::config{}, ec, 2);
  tern::time_point t{1s};
  auto held = server_ep.on_datagram(first_initial(client_ep, t), client_addr, t);
  REQUIRE(held.accepted);
  CHECK(server_ep.stats().half_open == 1);
  // The server's first flight goes nowhere: nothing answers it.
  CHECK(server_ep.next_timeout() <= t + 200ms);
  t += 199ms;
  (void)server_ep.on_timeout(t);
  CHECK(server_ep.stats().handshakes_unanswered == 0);
  t += 1ms;
  (void)server_ep.on_timeout(t);
  CHECK(server_ep.stats().handshakes_unanswered == 1);
  CHECK(server_ep.stats().half_open == 0);
  // Its address is remembered: dropped although no handshake is in progress.
  CHECK_FALSE(server_ep.on_datagram(first_initial(client_ep, t), client_addr, t).accepted);
  CHECK(server_ep.stats().initials_from_unanswered == 1);
  // After the penalty it comes in again.
  t += 5s;
  CHECK(server_ep.on_datagram(first_initial(client_ep, t), client_addr, t).accepted);
  CHECK(server_ep.stats().initials_from_unanswered == 1);
}

TEST_CASE("sans_io: answer deadlines that cannot work are invalid_argument") {
  std::error_code ec;
  tern::config zero_min = network::server_config();
  zero_min.min_handshake_answer = 0s;
  endpoint a(zero_min, ec, 1);
  CHECK(ec == tern::errc::invalid_argument);
  tern::config inverted = network::server_config();
  inverted.min_handshake_answer = 2s;
  inverted.max_handshake_answer = 1s;
  endpoint b(inverted, ec, 1);
  CHECK(ec == tern::errc::invalid_argument);
  tern::config negative_penalty = network::server_config();
  negative_penalty.unanswered_penalty = -1s;
  endpoint c(negative_penalty, ec, 1);
  CHECK(ec == tern::errc::invalid_argument);
  tern::config no_deadline = network::server_config();
  no_deadline.handshake_answer_ptos = 0;
  endpoint d(no_deadline, ec, 1);
  CHECK_FALSE(ec);
}

TEST_CASE("sans_io: an endpoint rejects a config that cannot work") {
  std::error_code ec;
  tern::config cfg;
  cfg.accept_connections = true;
  cfg.generate_certificate = false;
  endpoint ep(cfg, ec, 1);
  CHECK(ec == tern::errc::invalid_argument);
  tern::config small;
  small.initial_datagram_size = 600;
  endpoint ep2(small, ec, 1);
  CHECK(ec == tern::errc::invalid_argument);
  // A failed endpoint refuses calls instead of crashing.
  CHECK_FALSE(ep2.connect(server_addr, {}, tern::time_point{1s}, ec));
  CHECK(ec == tern::errc::invalid_argument);
}

// --- client authentication (config::client_auth) ----------------------------

TEST_CASE("sans_io: mutual TLS, the pinned client key is accepted and each side sees the other's fingerprint") {
  const tern::config ccfg = client_with_certificate();
  std::error_code ec;
  const std::string client_fp = endpoint(ccfg, ec, 9).fingerprint();
  REQUIRE_FALSE(ec);
  network net(requiring_server({client_fp}), ccfg);
  REQUIRE(net.client_ep.fingerprint() == client_fp);
  net.run_until([&] { return net.handshaked(); });
  CHECK(net.server->peer_fingerprint() == client_fp);
  CHECK(net.client->peer_fingerprint() == net.server_ep.fingerprint());
}

TEST_CASE("sans_io: require without pins accepts any client key and shows it to the application") {
  // A generated (ephemeral) client certificate is sent when asked.
  network net(requiring_server(), tern::config{});
  REQUIRE_FALSE(net.client_ep.fingerprint().empty());
  net.run_until([&] { return net.handshaked(); });
  CHECK(net.server->peer_fingerprint() == net.client_ep.fingerprint());
}

TEST_CASE("sans_io: a client without a certificate is refused by a require server, with a clear error on both sides") {
  tern::config ccfg;
  ccfg.generate_certificate = false;
  network net(requiring_server(), ccfg);
  REQUIRE(net.client_ep.fingerprint().empty());
  net.run_until([&] { return both_closed(net); }, 30s);
  CHECK_FALSE(net.client->is_established());
  CHECK_FALSE(net.server->is_established());
  CHECK(net.server->close_error() == tern::crypto::crypto_errc::peer_certificate_required);
  CHECK(net.client->close_error() == tern::crypto::crypto_errc::peer_requires_certificate);
  CHECK(net.client->close_code() == 0x100 + 116); // certificate_required
}

TEST_CASE("sans_io: a server pinning client keys refuses an unknown one") {
  const tern::config known = client_with_certificate();
  std::error_code ec;
  const std::string known_fp = endpoint(known, ec, 9).fingerprint();
  REQUIRE_FALSE(ec);
  network net(requiring_server({known_fp}), client_with_certificate());
  REQUIRE(net.client_ep.fingerprint() != known_fp);
  net.run_until([&] { return both_closed(net); }, 30s);
  CHECK_FALSE(net.server->is_established());
  CHECK(net.server->close_error() == tern::crypto::crypto_errc::fingerprint_mismatch);
  CHECK(net.client->close_error() == tern::crypto::crypto_errc::peer_rejected_certificate);
}

TEST_CASE("sans_io: request lets a client without a certificate in, and checks one that is sent") {
  tern::config scfg = network::server_config();
  scfg.client_auth = tern::client_authentication::request;
  tern::config none;
  none.generate_certificate = false;
  network anonymous(scfg, none);
  anonymous.run_until([&] { return anonymous.handshaked(); });
  CHECK(anonymous.server->peer_fingerprint().empty());

  const tern::config known = client_with_certificate();
  std::error_code ec;
  scfg.pinned_client_fingerprints = {endpoint(known, ec, 9).fingerprint()};
  network stranger(scfg, client_with_certificate());
  stranger.run_until([&] { return both_closed(stranger); }, 30s);
  CHECK(stranger.server->close_error() == tern::crypto::crypto_errc::fingerprint_mismatch);
}

TEST_CASE("sans_io: client_key_check decides each handshake, and refused clients are reported with address and key") {
  bool allow = false;
  std::vector<std::string> asked;
  std::vector<tern::refused_client> refused;
  tern::config scfg = network::server_config();
  scfg.client_auth = tern::client_authentication::require;
  scfg.client_key_check = [&](std::string_view fp) {
    asked.emplace_back(fp);
    return allow;
  };
  scfg.on_client_refused = [&](const tern::refused_client& r) { refused.push_back(r); };

  network first(scfg, client_with_certificate());
  first.run_until([&] { return both_closed(first); }, 30s);
  CHECK(first.server->close_error() == tern::crypto::crypto_errc::fingerprint_mismatch);
  CHECK(first.client->close_error() == tern::crypto::crypto_errc::peer_rejected_certificate);
  REQUIRE(asked.size() == 1);
  CHECK(asked[0] == first.client_ep.fingerprint());
  REQUIRE(refused.size() == 1); // once, though the connection was updated many times since
  CHECK(refused[0].fingerprint == first.client_ep.fingerprint());
  CHECK(refused[0].reason == tern::crypto::crypto_errc::fingerprint_mismatch);
  CHECK(refused[0].peer == client_addr);

  // The application changed its mind: the next handshake is let in.
  allow = true;
  network second(scfg, client_with_certificate());
  second.run_until([&] { return second.handshaked(); });
  CHECK(second.server->peer_fingerprint() == second.client_ep.fingerprint());
  CHECK(asked.size() == 2);
  CHECK(refused.size() == 1);

  // No certificate at all: reported without a key.
  tern::config none;
  none.generate_certificate = false;
  network anonymous(scfg, none);
  anonymous.run_until([&] { return both_closed(anonymous); }, 30s);
  CHECK(asked.size() == 2); // nothing to check
  REQUIRE(refused.size() == 2);
  CHECK(refused[1].fingerprint.empty());
  CHECK(refused[1].reason == tern::crypto::crypto_errc::peer_certificate_required);
}

TEST_CASE("sans_io: a client_key_check that throws refuses the key") {
  tern::config scfg = network::server_config();
  scfg.client_auth = tern::client_authentication::require;
  scfg.client_key_check = [](std::string_view) -> bool { throw std::runtime_error("broken policy"); };
  network net(scfg, client_with_certificate());
  net.run_until([&] { return both_closed(net); }, 30s);
  CHECK_FALSE(net.server->is_established());
  CHECK(net.server->close_error() == tern::crypto::crypto_errc::fingerprint_mismatch);
}

TEST_CASE("sans_io: client_key_check with pins, or without client_auth, fails the endpoint's open") {
  std::error_code ec;
  tern::config cfg = network::server_config();
  cfg.client_key_check = [](std::string_view) { return true; };
  endpoint unchecked(cfg, ec, 1);
  CHECK(ec == tern::errc::invalid_argument);
  cfg.client_auth = tern::client_authentication::require;
  cfg.pinned_client_fingerprints = {std::string(64, 'a')};
  endpoint both(cfg, ec, 1);
  CHECK(ec == tern::errc::invalid_argument);
}

TEST_CASE("sans_io: client pins without client_auth, or malformed, fail the endpoint's open") {
  std::error_code ec;
  tern::config cfg = network::server_config();
  cfg.pinned_client_fingerprints = {std::string(64, 'a')};
  endpoint ignored(cfg, ec, 1);
  CHECK(ec == tern::errc::invalid_argument);
  cfg.client_auth = tern::client_authentication::require;
  cfg.pinned_client_fingerprints = {"not a fingerprint"};
  endpoint malformed(cfg, ec, 1);
  CHECK(ec == tern::crypto::crypto_errc::invalid_configuration);
}

TEST_CASE("sans_io: the target rate comes as an event once data is acknowledged, and in the stats") {
  network net;
  net.run_until([&] { return net.handshaked(); });
  std::error_code ec;
  auto id = net.client->open_stream(true, ec);
  REQUIRE(id);
  const auto payload = pattern(256 * 1024);
  std::size_t written = 0;
  std::uint64_t reported = 0;
  int events = 0;
  net.run_until([&] {
    while (written < payload.size()) {
      const auto n = net.client->write(*id, std::span(payload).subspan(written), ec);
      if (ec || n == 0) break;
      written += n;
    }
    while (auto e = net.client->poll_event())
      if (e->what == event::kind::target_rate_changed) {
        ++events;
        reported = net.client->stats().target_rate;
      }
    while (net.server->poll_event()) {
    }
    return written == payload.size() && events > 0;
  });
  CHECK(reported > 0);
  CHECK(net.client->stats().target_rate > 0);
  // Never more than one event waits: the application reads the stats.
  int queued = 0;
  while (auto e = net.client->poll_event()) queued += e->what == event::kind::target_rate_changed;
  CHECK(queued <= 1);
}

TEST_CASE("sans_io: a target_rate_change outside (0, 1] or a headroom outside [0, 0.5) is invalid_argument") {
  for (double change : {0.0, -0.1, 1.5}) {
    tern::config c;
    c.target_rate_change = change;
    std::error_code ec;
    endpoint ep(c, ec, 1);
    CHECK(ec == tern::errc::invalid_argument);
  }
  for (double headroom : {-0.01, 0.5}) {
    tern::config c;
    c.target_rate_headroom = headroom;
    std::error_code ec;
    endpoint ep(c, ec, 1);
    CHECK(ec == tern::errc::invalid_argument);
  }
}

namespace {

/// Ends the network's connection and connects again with `options` (a
/// ticket, a token, early data), as a returning application would.
void reconnect(network& net, const tern::connect_options& options) {
  net.client.reset();
  net.server.reset();
  std::error_code ec;
  net.client = net.client_ep.connect(server_addr, options, net.now, ec);
  REQUIRE(net.client);
}

/// A server that issues tickets and accepts early data.
tern::config early_data_server_config() {
  tern::config cfg = network::server_config();
  cfg.session_tickets = true;
  cfg.accept_early_data = true;
  return cfg;
}

/// A client that keeps tickets.
tern::config ticket_client_config() {
  tern::config cfg;
  cfg.session_tickets = true;
  return cfg;
}

/// Runs the first connection until the client holds a ticket, then
/// connects again with it and early data on.
void resume_with_early_data(network& net) {
  net.run_until([&] { return net.handshaked() && !net.client->session_ticket().empty(); });
  tern::connect_options options;
  options.session_ticket = net.client->session_ticket();
  options.early_data = true;
  reconnect(net, options);
}

} // namespace

TEST_CASE("sans_io: a session ticket and a NEW_TOKEN token: the next connection resumes, needs no Retry, "
          "and its first flight carries stream data") {
  tern::config cfg = network::server_config();
  cfg.require_address_validation = true;
  cfg.session_tickets = true;
  cfg.accept_early_data = true;
  tern::config client_cfg;
  client_cfg.session_tickets = true;
  network net(cfg, client_cfg);
  net.run_until([&] {
    return net.handshaked() && !net.client->address_token().empty() && !net.client->session_ticket().empty();
  });
  CHECK_FALSE(net.client->resumed());
  CHECK(net.server_ep.stats().retries_sent == 1);

  tern::connect_options options;
  options.address_token = net.client->address_token();
  options.session_ticket = net.client->session_ticket();
  options.early_data = true;
  reconnect(net, options);
  std::error_code ec;
  const tern::time_point start = net.now;
  CHECK(net.client->sends_before_handshake());
  const auto id = net.client->open_stream(tern::stream_options{.allow_early = true}, ec);
  REQUIRE(id);
  const auto request = pattern(500);
  CHECK(net.client->write(*id, request, ec) == request.size());
  std::vector<std::byte> got;
  tern::duration first_byte{};
  net.run_until([&] {
    if (!net.server) return false;
    std::array<std::byte, 1024> buf{};
    std::error_code e;
    const auto r = net.server->read(*id, buf, e);
    if (r.bytes > 0 && got.empty()) first_byte = net.now - start;
    got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.bytes));
    return got.size() == request.size() && net.handshaked();
  });
  CHECK(got == request);
  CHECK(first_byte == 10ms); // one way: the first flight
  CHECK(net.server_ep.stats().retries_sent == 1); // no Retry this time
  CHECK(net.client->resumed());
  CHECK(net.server->resumed());
  CHECK(net.server->early_data_accepted());
  CHECK(net.client->early_data_accepted());
}

TEST_CASE("sans_io: a server that writes its answer to early data before polling sends the answer in its "
          "handshake flight's datagram") {
  // The core coalesces the 1-RTT answer with the handshake flight when
  // the application has queued it before the connection is polled: a
  // driver that lets the application answer first sends one datagram.
  network net(early_data_server_config(), ticket_client_config());
  resume_with_early_data(net);
  std::error_code ec;
  const auto id = net.client->open_stream(tern::stream_options{.allow_early = true}, ec);
  REQUIRE(id);
  const auto request = pattern(6);
  REQUIRE(net.client->write(*id, request, ec) == request.size());
  // Stops right after the first flight reached the server, before the
  // server's connection is polled.
  net.run_until([&] { return net.server != nullptr; });
  std::array<std::byte, 64> buf{};
  REQUIRE(net.server->read(*id, buf, ec).bytes == request.size());
  const auto answer = pattern(100);
  REQUIRE(net.server->write(*id, answer, ec) == answer.size());
  REQUIRE_FALSE(net.server->finish(*id));
  const auto before = net.in_flight.size();
  net.send_all(net.server_ep, net.server.get(), server_addr);
  CHECK(net.in_flight.size() - before == 1);
  // That one datagram brings the client both the handshake and the answer.
  net.run_until([&] { return net.in_flight.empty(); });
  std::array<std::byte, 256> got{};
  const auto r = net.client->read(*id, got, ec);
  CHECK(r.bytes == answer.size());
  CHECK(std::equal(answer.begin(), answer.end(), got.begin()));
  CHECK(net.client->early_data_accepted());
}

TEST_CASE("sans_io: a message flow allowed early sends its message in the first flight of a resumed "
          "connection") {
  network net(early_data_server_config(), ticket_client_config());
  resume_with_early_data(net);
  std::error_code ec;
  const tern::time_point start = net.now;
  REQUIRE_FALSE(net.client->configure_message_flow(3, tern::message_flow_options{.allow_early = true}));
  const auto frame = pattern(900);
  tern::message_options on_flow;
  on_flow.flow = 3;
  REQUIRE(net.client->send_message(frame, net.now + 1s, on_flow, net.now, ec));
  std::optional<tern::received_message> got;
  tern::duration arrival{};
  net.run_until([&] {
    if (net.server && !got)
      if ((got = net.server->receive_message(net.now))) arrival = net.now - start;
    return got && net.handshaked();
  });
  REQUIRE(got);
  CHECK(got->data == frame);
  CHECK(got->flow == 3);
  CHECK(arrival == 10ms); // one way: the first flight
  CHECK(net.server->early_data_accepted());
  CHECK(net.server->stats().early_message_fragments_received >= 1); // 900 bytes: one or two fragments
}

TEST_CASE("sans_io: session ticket settings are checked") {
  tern::config cfg = network::server_config();
  cfg.session_tickets = true;
  cfg.session_ticket_key = std::vector<std::byte>(79);
  std::error_code ec;
  endpoint bad_key(cfg, ec, 1);
  CHECK(ec == tern::errc::invalid_argument);
  cfg.session_ticket_key = std::vector<std::byte>(80, std::byte{7});
  cfg.session_ticket_lifetime = std::chrono::hours(24 * 8);
  endpoint too_long(cfg, ec, 1);
  CHECK(ec == tern::errc::invalid_argument);
  cfg.session_ticket_lifetime = std::chrono::hours(1);
  cfg.session_ticket_key_rotation = std::chrono::seconds(-1);
  endpoint negative_rotation(cfg, ec, 1);
  CHECK(ec == tern::errc::invalid_argument);
  cfg.session_ticket_key_rotation = std::chrono::hours(24 * 8);
  endpoint rare_rotation(cfg, ec, 1);
  CHECK(ec == tern::errc::invalid_argument);
  cfg.session_ticket_key_rotation = std::chrono::minutes(10);
  endpoint fine(cfg, ec, 1);
  CHECK_FALSE(ec);
}
