// The public sans-IO connection (tern/core/connection.hpp), driven the way a
// bring-your-own-I/O application drives it, over an in-memory "network" in
// virtual time with seeded loss.

#include "support/seed.hpp"

#include <tern/core/connection.hpp>
#include <tern/error.hpp>
#include <tern/random.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using tern::sans_io::connection;
using tern::sans_io::context;
using tern::sans_io::event;

const asio::ip::udp::endpoint client_addr{asio::ip::make_address("192.0.2.1"), 5000};
const asio::ip::udp::endpoint server_addr{asio::ip::make_address("192.0.2.2"), 6000};

struct datagram {
  std::vector<std::byte> bytes;
  asio::ip::udp::endpoint from, to;
  tern::time_point arrives;
};

// Two peers joined by a 10 ms one-way path that drops `loss` of the
// datagrams (seeded). The server connection comes from the first Initial.
struct network {
  context server_ctx;
  context client_ctx;
  std::unique_ptr<connection> client, server;
  std::deque<datagram> in_flight;
  tern::time_point now{std::chrono::seconds(1)};
  tern::random_source rng{tern::test::seed()};
  double loss = 0;
  int rejected_initials = 0;
  int retries = 0;

  static tern::config server_config() {
    tern::config c;
    c.accept_connections = true;
    return c;
  }
  static tern::config client_config(const context& server) {
    tern::config c;
    c.pinned_fingerprints = {server.fingerprint()};
    return c;
  }
  static context make(const tern::config& cfg, std::uint64_t seed) {
    std::error_code ec;
    context ctx(cfg, ec, seed);
    REQUIRE_FALSE(ec);
    return ctx;
  }

  explicit network(const tern::config& server_cfg = server_config())
      : server_ctx(make(server_cfg, 1)), client_ctx(make(client_config(server_ctx), 2)) {
    std::error_code ec;
    client = client_ctx.connect(server_addr, {}, now, ec);
    REQUIRE(client);
  }

  void send_all(connection& c, const asio::ip::udp::endpoint& from) {
    std::array<std::byte, 1500> out{};
    while (auto t = c.poll_transmit(out, now)) {
      if (rng.uniform01() < loss) continue;
      in_flight.push_back({{out.begin(), out.begin() + static_cast<std::ptrdiff_t>(t->size)}, from, t->to, now + 10ms});
    }
  }

  // Advances to the next arrival or timeout and processes it.
  void step() {
    send_all(*client, client_addr);
    if (server) send_all(*server, server_addr);
    tern::time_point next = client->next_timeout();
    if (server) next = std::min(next, server->next_timeout());
    if (!in_flight.empty()) next = std::min(next, in_flight.front().arrives);
    REQUIRE(next != tern::never);
    now = std::max(now, next);
    while (!in_flight.empty() && in_flight.front().arrives <= now) {
      auto d = std::move(in_flight.front());
      in_flight.pop_front();
      if (d.to == client_addr) {
        client->on_datagram(d.bytes, d.from, now);
      } else if (server) {
        server->on_datagram(d.bytes, d.from, now);
      } else if (server_ctx.is_initial(d.bytes)) {
        std::array<std::byte, 1500> retry{};
        if (const std::size_t n = server_ctx.retry(d.bytes, d.from, now, retry)) {
          REQUIRE(n < d.bytes.size());
          ++retries;
          in_flight.push_back({{retry.begin(), retry.begin() + static_cast<std::ptrdiff_t>(n)}, server_addr, d.from,
                               now + 10ms});
          continue;
        }
        std::error_code ec;
        server = server_ctx.accept(d.bytes, d.from, now, ec);
        REQUIRE(server);
      } else {
        ++rejected_initials;
      }
    }
    if (client->next_timeout() <= now) client->on_timeout(now);
    if (server && server->next_timeout() <= now) server->on_timeout(now);
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
  CHECK(net.client->peer_fingerprint() == net.server_ctx.fingerprint());
  CHECK(net.server->remote_endpoint() == client_addr);
  CHECK(net.client->remote_endpoint() == server_addr);
}

TEST_CASE("sans_io: with require_address_validation the client follows one Retry, then a token-less Initial is refused") {
  tern::config cfg = network::server_config();
  cfg.require_address_validation = true;
  network net(cfg);
  net.run_until([&] { return net.handshaked(); });
  CHECK(net.retries == 1);
  CHECK(net.rejected_initials == 0);
  // A token-less Initial may not create a connection through accept().
  std::error_code ec;
  auto other = net.client_ctx.connect(server_addr, {}, net.now, ec);
  REQUIRE(other);
  std::array<std::byte, 1500> out{};
  auto t = other->poll_transmit(out, net.now);
  REQUIRE(t);
  const std::span<const std::byte> initial(out.data(), t->size);
  CHECK(net.server_ctx.accept(initial, client_addr, net.now, ec) == nullptr);
  CHECK(ec == tern::errc::invalid_argument);
  std::array<std::byte, 1500> retry{};
  CHECK(net.server_ctx.retry(initial, client_addr, net.now, retry) > 0);
}

TEST_CASE("sans_io: the NEW_TOKEN token of a first connection admits the next Initial without a Retry") {
  tern::config cfg = network::server_config();
  cfg.require_address_validation = true;
  network net(cfg);
  net.run_until([&] { return net.handshaked() && !net.client->address_token().empty(); });
  CHECK(net.retries == 1);
  const auto token = net.client->address_token();

  const auto first_initial = [&](const std::vector<std::byte>& t, std::array<std::byte, 1500>& out) {
    tern::connect_options options;
    options.address_token = t;
    std::error_code ec;
    auto c = net.client_ctx.connect(server_addr, options, net.now, ec);
    REQUIRE(c);
    auto sent = c->poll_transmit(out, net.now);
    REQUIRE(sent);
    return std::span<const std::byte>(out.data(), sent->size);
  };
  std::array<std::byte, 1500> out{};
  std::array<std::byte, 1500> retry{};
  std::error_code ec;
  const auto with_token = first_initial(token, out);
  CHECK(net.server_ctx.retry(with_token, client_addr, net.now, retry) == 0);
  CHECK(net.server_ctx.accept(with_token, client_addr, net.now, ec) != nullptr);
  CHECK_FALSE(ec);

  // Tampered: as if there were no token, a Retry and no connection.
  auto forged = token;
  forged.back() ^= std::byte{0x01};
  const auto with_forged = first_initial(forged, out);
  CHECK(net.server_ctx.retry(with_forged, client_addr, net.now, retry) > 0);
  CHECK(net.server_ctx.accept(with_forged, client_addr, net.now, ec) == nullptr);
  CHECK(ec == tern::errc::invalid_argument);
}

TEST_CASE("sans_io: new_token_lifetime zero sends no NEW_TOKEN, negative is invalid") {
  tern::config cfg = network::server_config();
  cfg.require_address_validation = true;
  cfg.new_token_lifetime = std::chrono::nanoseconds(-1);
  std::error_code ec;
  context bad(cfg, ec, 1);
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
  std::error_code ec;
  tern::config scfg;
  scfg.accept_connections = true;
  context server_ctx(scfg, ec, 1);
  REQUIRE_FALSE(ec);
  tern::config other_cfg;
  other_cfg.accept_connections = true;
  context other(other_cfg, ec, 3); // a different generated certificate
  tern::config ccfg;
  ccfg.pinned_fingerprints = {other.fingerprint()};
  context client_ctx(ccfg, ec, 2);
  auto client = client_ctx.connect(server_addr, {}, tern::time_point{1s}, ec);
  REQUIRE(client);
  std::unique_ptr<connection> server;
  tern::time_point now{1s};
  std::array<std::byte, 1500> out{};
  for (int round = 0; round < 200 && !(client->is_closed() && server && server->is_closed()); ++round) {
    while (auto t = client->poll_transmit(out, now)) {
      std::span<const std::byte> d(out.data(), t->size);
      if (!server) server = server_ctx.accept(d, client_addr, now, ec);
      else server->on_datagram(d, client_addr, now);
    }
    if (server)
      while (auto t = server->poll_transmit(out, now)) client->on_datagram(std::span(out).first(t->size), server_addr, now);
    now = std::min(client->next_timeout(), server ? server->next_timeout() : tern::never);
    if (now == tern::never) break;
    if (client->next_timeout() <= now) client->on_timeout(now);
    if (server && server->next_timeout() <= now) server->on_timeout(now);
  }
  REQUIRE(server);
  CHECK_FALSE(server->is_established());
  CHECK_FALSE(client->is_established());
  REQUIRE(client->close_error());
  CHECK(std::string(client->close_error().category().name()) == "tern.crypto");
}

TEST_CASE("sans_io: garbage never starts a server connection") {
  std::error_code ec;
  tern::config scfg;
  scfg.accept_connections = true;
  context server_ctx(scfg, ec, 1);
  tern::random_source rng(tern::test::seed());
  std::vector<std::byte> junk(1300);
  for (int i = 0; i < 200; ++i) {
    rng.fill(junk);
    junk[0] = static_cast<std::byte>(0x40 | (static_cast<unsigned>(junk[0]) & 0x3f)); // short header: not Initial
    CHECK_FALSE(server_ctx.is_initial(junk));
    CHECK_FALSE(server_ctx.accept(junk, client_addr, tern::time_point{1s}, ec));
    CHECK(ec == tern::errc::invalid_argument);
  }
  // A client context does not accept at all.
  tern::config ccfg;
  context client_ctx(ccfg, ec, 2);
  CHECK(client_ctx.fingerprint().empty());
}

TEST_CASE("sans_io: a context rejects a config that cannot work") {
  std::error_code ec;
  tern::config cfg;
  cfg.accept_connections = true;
  cfg.generate_certificate = false;
  context ctx(cfg, ec, 1);
  CHECK(ec == tern::errc::invalid_argument);
  tern::config small;
  small.initial_datagram_size = 600;
  context ctx2(small, ec, 1);
  CHECK(ec == tern::errc::invalid_argument);
}
