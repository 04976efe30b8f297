// core::endpoint (src/core/endpoint.hpp) and its timer queue: admission
// (size, connection ID length, limits, tokens), routing as connection IDs
// come and go, the bounded queue of stateless answers, and timers that cost
// O(log n) with thousands of connections. The two-connection harness runs
// the same endpoint for every connection test; these cases take it alone.

#include "core/endpoint.hpp"
#include "harness.hpp"
#include "support/connection_test_access.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

namespace tern::core {
namespace {

using namespace std::chrono_literals;

const address client_addr = address::ipv4({10, 0, 0, 1}, 40000);
const address server_addr = address::ipv4({10, 0, 0, 2}, 443);

struct accepted_connection {
  connection_handle handle = no_connection;
  std::unique_ptr<connection> conn;
};

struct server_fixture {
  random_source rng{tern::test::seed()};
  endpoint_config config;
  std::unique_ptr<endpoint> server;
  std::unique_ptr<endpoint> clients; // makes Initials to feed the server
  std::shared_ptr<const crypto::tls_context> client_tls;
  std::vector<std::unique_ptr<connection>> client_connections;
  time_point now{1s};

  explicit server_fixture(endpoint_config c = {}) : config(std::move(c)) {
    auto [client_cfg, server_cfg] = test::pinned_configs();
    std::error_code ec;
    config.connection = server_cfg;
    config.server_tls = crypto::tls_context::create(crypto::tls_role::server, server_cfg.tls, ec);
    REQUIRE_FALSE(ec);
    REQUIRE_FALSE(check(config));
    server = std::make_unique<endpoint>(config, rng);
    endpoint_config client_side;
    client_side.connection = client_cfg;
    clients = std::make_unique<endpoint>(client_side, rng);
    client_tls = crypto::tls_context::create(crypto::tls_role::client, client_cfg.tls, ec);
    REQUIRE_FALSE(ec);
  }

  datagram_outcome feed(std::vector<std::byte> datagram, const address& from = client_addr) {
    return server->on_datagram(datagram, from, now);
  }

  /// A new client connection whose Initial the server accepts, then
  /// datagrams both ways in zero time until the client is established;
  /// returns the connection the server accepted.
  accepted_connection handshake(const address& from = client_addr) {
    accepted_connection out;
    auto first = initial();
    auto r = server->on_datagram(first, from, now);
    if (r.accepted) out = {r.handle, std::move(r.accepted)};
    auto& client = *client_connections.back();
    std::vector<std::byte> buf(1500);
    for (int round = 0; round < 50 && !client.is_established(); ++round) {
      // A Retry, when the endpoint asks for one.
      while (auto t = server->poll_transmit(buf)) client.on_datagram(std::span(buf).first(t->size), server_addr, now);
      while (auto t = client.poll_transmit(buf, now)) {
        auto next = server->on_datagram(std::span(buf).first(t->size), from, now);
        if (next.accepted) out = {next.handle, std::move(next.accepted)};
      }
      if (!out.conn) continue;
      while (auto t = out.conn->poll_transmit(buf, now)) client.on_datagram(std::span(buf).first(t->size), server_addr, now);
      server->update(out.handle, now);
    }
    REQUIRE(client.is_established());
    REQUIRE(out.conn);
    return out;
  }

  /// A client from `from` that answers the server's Retry (as any real
  /// client does) and then falls silent: what the server made of its
  /// Initial with the token.
  datagram_outcome validated_initial(const address& from) {
    auto r = feed(initial(), from);
    if (r.what != datagram_outcome::kind::answered) return r;
    std::vector<std::byte> buf(1500);
    auto& client = *client_connections.back();
    while (auto t = server->poll_transmit(buf)) client.on_datagram(std::span(buf).first(t->size), server_addr, now);
    auto t = client.poll_transmit(buf, now);
    REQUIRE(t);
    return server->on_datagram(std::span(buf).first(t->size), from, now);
  }

  /// The first datagram of a new client connection (its padded Initial).
  std::vector<std::byte> initial(std::span<const std::byte> token = {}) {
    std::error_code ec;
    connection_handle h = no_connection;
    auto c = clients->connect(server_addr, client_tls, now, ec, h, token);
    REQUIRE(c);
    std::vector<std::byte> out(1500);
    auto t = c->poll_transmit(out, now);
    REQUIRE(t);
    out.resize(t->size);
    client_connections.push_back(std::move(c));
    return out;
  }
};

} // namespace

TEST_CASE("endpoint_timers: the earliest deadline first, moves re-key, never clears") {
  endpoint_timers timers;
  std::vector<endpoint_timers::slot> slots(10000);
  random_source rng(tern::test::seed());
  std::vector<time_point> deadlines(slots.size());
  for (std::size_t i = 0; i < slots.size(); ++i) {
    deadlines[i] = time_point{} + std::chrono::microseconds(1 + rng.uniform(1'000'000));
    timers.set(slots[i], i + 1, deadlines[i]);
  }
  CHECK(timers.size() == slots.size());
  CHECK(timers.earliest() == *std::min_element(deadlines.begin(), deadlines.end()));
  // Move every deadline: the queue keeps one entry per connection.
  for (std::size_t i = 0; i < slots.size(); ++i) {
    deadlines[i] += std::chrono::seconds(1 + rng.uniform(5));
    timers.set(slots[i], i + 1, deadlines[i]);
  }
  CHECK(timers.size() == slots.size());
  const auto first = std::min_element(deadlines.begin(), deadlines.end());
  CHECK(timers.earliest() == *first);
  CHECK(timers.first_due(*first - 1ns) == 0);
  CHECK(timers.first_due(*first) == static_cast<connection_handle>(first - deadlines.begin()) + 1);
  for (std::size_t i = 0; i < slots.size(); ++i) timers.set(slots[i], i + 1, never);
  CHECK(timers.size() == 0);
  CHECK(timers.earliest() == never);
}

TEST_CASE("endpoint: check() refuses configs that cannot work") {
  endpoint_config c;
  CHECK_FALSE(check(c));
  c.connection.connection_id_length = 21;
  CHECK(check(c));
  c.connection.connection_id_length = 4; // a client may use short IDs ...
  CHECK_FALSE(check(c));
  server_fixture f;
  endpoint_config s = f.config;
  s.connection.connection_id_length = 4; // ... a server may not
  CHECK(check(s));
  s = f.config;
  s.max_connections = 0;
  CHECK(check(s));
  s = f.config;
  s.require_address_validation = true;
  s.retry_token_lifetime = duration::zero();
  CHECK(check(s));
  s = f.config;
  s.new_token_lifetime = -1ns;
  CHECK(check(s));
}

TEST_CASE("endpoint: only a full-size Initial with a long enough DCID creates a connection") {
  server_fixture f;
  auto ok = f.initial();
  // Cut below 1200 bytes: the same Initial is refused.
  std::vector<std::byte> short_one(ok.begin(), ok.begin() + 1199);
  CHECK(f.server->on_datagram(short_one, client_addr, f.now).what == datagram_outcome::kind::dropped);
  // Garbage and a short-header packet for no connection: dropped, no answer.
  std::vector<std::byte> junk(1300, std::byte{0x41});
  CHECK(f.server->on_datagram(junk, client_addr, f.now).what == datagram_outcome::kind::dropped);
  std::vector<std::byte> out(1500);
  CHECK_FALSE(f.server->poll_transmit(out));
  CHECK(f.server->stats().datagrams_dropped == 2);
  CHECK(f.server->stats().connections == 0);

  auto r = f.server->on_datagram(ok, client_addr, f.now);
  REQUIRE(r.what == datagram_outcome::kind::accepted);
  REQUIRE(r.accepted);
  CHECK(f.server->find(r.handle) == r.accepted.get());
  CHECK_FALSE(r.admission); // no address validation asked for
  CHECK(f.server->stats().connections == 1);
}

TEST_CASE("endpoint: accept_backlog bounds established connections not yet claimed, max_connections all") {
  endpoint_config c;
  c.max_connections = 4;
  c.accept_backlog = 2;
  server_fixture f(c);
  std::vector<accepted_connection> kept;
  // Two established, unclaimed connections fill the backlog.
  for (int i = 0; i < 2; ++i) kept.push_back(f.handshake());
  CHECK(f.feed(f.initial()).what == datagram_outcome::kind::dropped);
  // Handshaking connections do not count against it.
  f.server->claim(kept[0].handle);
  f.server->claim(kept[0].handle); // claiming twice frees nothing more
  auto third = f.feed(f.initial());
  REQUIRE(third.what == datagram_outcome::kind::accepted);
  auto fourth = f.feed(f.initial());
  REQUIRE(fourth.what == datagram_outcome::kind::accepted);
  // Now max_connections holds.
  CHECK(f.feed(f.initial()).what == datagram_outcome::kind::dropped);
  f.server->remove(kept[1].handle); // it was waiting: frees a place of both
  f.server->remove(kept[1].handle); // unknown by now: ignored
  auto fifth = f.feed(f.initial());
  CHECK(fifth.what == datagram_outcome::kind::accepted);
  CHECK(f.server->stats().connections == 4);

  // The client side of the same limit.
  std::error_code ec;
  connection_handle h = no_connection;
  endpoint_config one;
  one.connection = test::pinned_configs().first;
  one.max_connections = 1;
  endpoint client(one, f.rng);
  auto c1 = client.connect(server_addr, f.client_tls, f.now, ec, h);
  REQUIRE(c1);
  CHECK_FALSE(client.connect(server_addr, f.client_tls, f.now, ec, h));
  CHECK(ec == core_errc::too_many_connections);
  CHECK(h == no_connection);
}

TEST_CASE("endpoint: with address validation a token-less Initial costs one small Retry and no state") {
  endpoint_config c;
  c.require_address_validation = true;
  c.max_pending_answers = 4;
  server_fixture f(c);
  std::vector<std::byte> out(1500);
  for (int i = 0; i < 10; ++i) {
    auto initial = f.initial();
    auto r = f.server->on_datagram(initial, client_addr, f.now);
    // Past four waiting answers more are dropped: the queue is bounded.
    CHECK(r.what == (i < 4 ? datagram_outcome::kind::answered : datagram_outcome::kind::dropped));
  }
  CHECK(f.server->stats().connections == 0);
  CHECK(f.server->stats().retries_sent == 4);
  int answers = 0;
  while (auto t = f.server->poll_transmit(out)) {
    CHECK(t->size < 1200);
    CHECK(t->to == client_addr);
    ++answers;
  }
  CHECK(answers == 4);
  // A buffer too small for the next answer leaves it queued.
  CHECK(f.feed(f.initial()).what == datagram_outcome::kind::answered);
  std::vector<std::byte> tiny(8);
  CHECK_FALSE(f.server->poll_transmit(tiny));
  CHECK(f.server->poll_transmit(out));

  // A Retry token that does not validate is dropped, never answered again.
  std::vector<std::byte> forged(1 + crypto::address_token_length + 1 + 8, std::byte{0});
  forged[0] = static_cast<std::byte>(token_kind::retry);
  CHECK(f.feed(f.initial(forged)).what == datagram_outcome::kind::dropped);
  CHECK(f.server->stats().initials_refused == 1);

  // A valid NEW_TOKEN token from the same unit admits without a Retry.
  std::array<std::byte, new_token_length> token{};
  REQUIRE_FALSE(f.server->validation()->write_new_token(client_addr, f.now, token));
  auto r = f.feed(f.initial(token));
  REQUIRE(r.what == datagram_outcome::kind::accepted);
  REQUIRE(r.admission);
  CHECK(*r.admission == initial_admission::accept_validated);
}

TEST_CASE("endpoint: every connection ID a connection issues routes to it, remove() ends its routes and timer") {
  test::network net(test::pinned_configs());
  REQUIRE(net.handshake());
  // Let NEW_CONNECTION_ID frames flow.
  net.run_until([] { return false; }, 200ms);
  auto& ep = *net.server_endpoint;
  const auto ids = net.server->local_connection_ids();
  REQUIRE(ids.size() > 1);
  // Every active ID of the server routes to it: a short-header packet with
  // that DCID is delivered, not dropped.
  for (const auto& id : ids) {
    std::vector<std::byte> packet(64, std::byte{0});
    packet[0] = std::byte{0x40};
    std::copy(id.cid.bytes().begin(), id.cid.bytes().end(), packet.begin() + 1);
    CHECK(ep.on_datagram(packet, net.client_addr, net.now).what == datagram_outcome::kind::delivered);
  }
  // After remove() nothing routes there any more.
  ep.remove(net.server_handle);
  CHECK(ep.find(net.server_handle) == nullptr);
  for (const auto& id : ids) {
    std::vector<std::byte> packet(64, std::byte{0});
    packet[0] = std::byte{0x40};
    std::copy(id.cid.bytes().begin(), id.cid.bytes().end(), packet.begin() + 1);
    CHECK(ep.on_datagram(packet, net.client_addr, net.now).what == datagram_outcome::kind::dropped);
  }
  CHECK(ep.next_timeout() == never);
}

TEST_CASE("endpoint: an Initial that does not authenticate creates nothing") {
  server_fixture f;
  auto initial = f.initial();
  // The header stays valid; one flipped payload byte breaks the AEAD tag.
  initial[initial.size() / 2] ^= std::byte{0x01};
  CHECK(f.feed(initial).what == datagram_outcome::kind::dropped);
  CHECK(f.server->stats().initials_unauthenticated == 1);
  CHECK(f.server->stats().connections == 0);
  // Random bytes behind a well-formed Initial header: the same.
  auto garbage = f.initial();
  random_source r(tern::test::seed());
  r.fill(std::span(garbage).subspan(garbage.size() - 1100));
  CHECK(f.feed(garbage).what == datagram_outcome::kind::dropped);
  CHECK(f.server->stats().initials_unauthenticated == 2);
}

TEST_CASE("endpoint: above retry_above_half_open handshakes, new clients prove their address first") {
  endpoint_config c;
  c.retry_above_half_open = 2;
  server_fixture f(c);
  std::vector<accepted_connection> kept;
  for (int i = 0; i < 2; ++i) {
    auto r = f.feed(f.initial());
    REQUIRE(r.what == datagram_outcome::kind::accepted);
    CHECK_FALSE(r.admission); // no token asked for below the threshold
    kept.push_back({r.handle, std::move(r.accepted)});
  }
  CHECK(f.server->stats().half_open == 2);
  // At the threshold a token-less Initial costs a Retry and no state ...
  CHECK(f.feed(f.initial()).what == datagram_outcome::kind::answered);
  CHECK(f.server->stats().connections == 2);
  // ... and a real client follows it and connects, address validated.
  std::vector<std::byte> retry(1500);
  REQUIRE(f.server->poll_transmit(retry));
  auto validated = f.handshake(address::ipv4({10, 0, 0, 9}, 40000));
  CHECK(f.server->stats().retries_sent >= 2);
  CHECK(f.server->stats().half_open == 2); // established: no longer half-open
  for (auto& k : kept) f.server->remove(k.handle);
  CHECK(f.server->stats().half_open == 0);
  // Below the threshold again: straight in.
  CHECK(f.feed(f.initial()).what == datagram_outcome::kind::accepted);
}

TEST_CASE("endpoint: max_half_open bounds handshakes, a busy source proves its address first") {
  endpoint_config c;
  c.retry_above_half_open = 0; // no Retry for load: the source and total limits alone
  c.max_half_open = 6;
  c.max_half_open_per_source = 4;
  server_fixture f(c);
  std::vector<std::unique_ptr<connection>> kept;
  const auto from_host = [&](std::uint8_t host, std::uint16_t port) {
    auto r = f.feed(f.initial(), address::ipv4({10, 0, 1, host}, port));
    if (r.accepted) kept.push_back(std::move(r.accepted));
    return r.what;
  };
  for (std::uint16_t port = 1; port <= 4; ++port) CHECK(from_host(1, port) == datagram_outcome::kind::accepted);
  // Another port of the same host is the same source: a Retry, no state.
  CHECK(from_host(1, 5) == datagram_outcome::kind::answered);
  CHECK(f.server->stats().half_open == 4);
  CHECK(from_host(2, 1) == datagram_outcome::kind::accepted);
  CHECK(from_host(3, 1) == datagram_outcome::kind::accepted);
  CHECK(from_host(4, 1) == datagram_outcome::kind::dropped); // six in all
  CHECK(f.server->stats().initials_over_limit == 1);
  CHECK(f.server->stats().half_open == 6);
}

TEST_CASE("endpoint: under a flood of valid Initials from 1,000 ports a real client still connects") {
  server_fixture f; // the defaults: Retry from 100 handshakes on, 16 per source, 1,000 in all
  const int flood = 2000;
  const address attacker = address::ipv4({198, 51, 100, 7}, 0);
  std::vector<std::unique_ptr<connection>> held;
  std::vector<std::byte> sink(1500);
  for (int i = 0; i < flood; ++i) {
    address from = attacker;
    from.port = static_cast<std::uint16_t>(1000 + i % 1000);
    // Half of them claim other hosts (spoofed sources never answer a Retry).
    if (i % 2 == 1) from.ip[3] = static_cast<std::uint8_t>(i % 251);
    auto r = f.feed(f.initial(), from);
    if (r.accepted) held.push_back(std::move(r.accepted));
    while (f.server->poll_transmit(sink)) {
    }
    f.client_connections.clear(); // the flood's clients never answer
  }
  const auto s = f.server->stats();
  MESSAGE("flood of " << flood << ": " << s.connections << " connections, " << s.retries_sent << " Retries, "
                      << s.initials_over_limit << " over a limit");
  CHECK(s.connections <= 100); // from the Retry threshold on, a token-less Initial holds nothing
  CHECK(s.half_open == s.connections);
  auto legit = f.handshake(address::ipv4({203, 0, 113, 5}, 5555));
  CHECK(legit.conn->is_established());
  CHECK(f.server->stats().connections == s.connections + 1);
}

TEST_CASE("endpoint: hosts that answer Retries share max_half_open, and a newcomer gets in") {
  endpoint_config c;
  c.require_address_validation = true; // every Initial is validated first
  c.max_half_open = 6;
  c.max_half_open_per_source = 4; // binds token-less Initials only
  server_fixture f(c);
  std::vector<accepted_connection> held;
  const auto from_host = [&](std::uint8_t host, std::uint16_t port) {
    auto r = f.validated_initial(address::ipv4({10, 0, 1, host}, port));
    if (r.accepted) held.push_back({r.handle, std::move(r.accepted)});
    return r.what;
  };
  using kind = datagram_outcome::kind;
  // While there is room, a validated host opens as many as it likes (a
  // proxy, a load test).
  for (std::uint16_t port = 1; port <= 5; ++port) CHECK(from_host(1, port) == kind::accepted);
  CHECK(from_host(2, 1) == kind::accepted);
  CHECK(f.server->stats().half_open == 6); // full: host 1 holds 5, host 2 holds 1
  // A newcomer displaces the oldest handshake of the busiest host ...
  CHECK(from_host(3, 1) == kind::accepted);
  CHECK(f.server->stats().handshakes_displaced == 1);
  CHECK(f.server->stats().half_open == 6);
  CHECK(held[0].conn->is_closed()); // host 1's first, dropped silently
  CHECK(held[0].conn->close_reason().error == core_errc::too_many_connections);
  // ... and hands it back to the driver at once, due now.
  std::vector<connection_handle> ran;
  f.server->on_timeout(f.now, ran);
  CHECK(std::find(ran.begin(), ran.end(), held[0].handle) != ran.end());
  f.server->remove(held[0].handle);
  // Host 2 (1) against host 1 (4): two fewer or more, so it displaces too.
  CHECK(from_host(2, 2) == kind::accepted);
  CHECK(f.server->stats().handshakes_displaced == 2);
  // Host 2 (2) against host 1 (3): one fewer only, so it waits: hosts
  // about equally loaded never churn.
  CHECK(from_host(2, 3) == kind::dropped);
  CHECK(f.server->stats().initials_over_limit == 1);
  CHECK(f.server->stats().handshakes_displaced == 2);
  // Host 4, holding none, displaces host 1 again (3 >= 0 + 2).
  CHECK(from_host(4, 1) == kind::accepted);
  CHECK(f.server->stats().handshakes_displaced == 3);
  CHECK(f.server->stats().half_open == 6);
}

TEST_CASE("endpoint: under a flood from hosts that answer Retries a real client still connects") {
  endpoint_config c;
  c.require_address_validation = true; // as under load: every new client answers a Retry first
  c.max_half_open = 40;                 // 10 flooding hosts fill it: 4 each
  server_fixture f(c);
  std::vector<std::unique_ptr<connection>> held;
  for (int round = 0; round < 8; ++round) {
    for (std::uint8_t host = 1; host <= 10; ++host) {
      auto r = f.validated_initial(address::ipv4({198, 51, 100, host}, static_cast<std::uint16_t>(1000 + round)));
      if (r.accepted) held.push_back(std::move(r.accepted));
    }
  }
  const auto s = f.server->stats();
  MESSAGE("validated flood: " << s.half_open << " handshakes held, " << s.initials_over_limit << " dropped, "
                              << s.handshakes_displaced << " displaced");
  CHECK(s.half_open == 40);
  CHECK(s.handshakes_displaced == 0); // equally loaded hosts do not displace each other
  auto legit = f.handshake(address::ipv4({203, 0, 113, 5}, 5555));
  CHECK(legit.conn->is_established());
  CHECK(f.server->stats().handshakes_displaced == 1);
}

TEST_CASE("endpoint: a handshake whose client never answers gives its place back after a few PTOs") {
  endpoint_config c;
  c.min_handshake_answer = 250ms;
  c.max_handshake_answer = 2s; // three PTOs of the initial RTT (about 1 s each) are more: the ceiling binds
  c.retry_above_half_open = 1;  // one handshake in progress is a load: the deadline applies
  server_fixture f(c);
  const time_point start = f.now;
  auto r = f.feed(f.initial());
  REQUIRE(r.what == datagram_outcome::kind::accepted);
  CHECK(f.server->stats().half_open == 1);
  CHECK(f.server->next_timeout() <= start + 2s);
  // The client never answers: the server's own timers (its flight's
  // retransmissions) run until the deadline, the place stays taken.
  std::vector<connection_handle> ran;
  std::vector<std::byte> lost(1500);
  const auto send_into_the_void = [&](connection& conn) {
    while (conn.poll_transmit(lost, f.now)) {
    }
  };
  for (int step = 0; step < 100 && f.server->next_timeout() < start + 2s; ++step) {
    send_into_the_void(*r.accepted);
    f.server->update(r.handle, f.now);
    f.now = std::max(f.now, f.server->next_timeout());
    if (f.now >= start + 2s) break;
    f.server->on_timeout(f.now, ran);
    REQUIRE_FALSE(r.accepted->is_closed());
  }
  CHECK(f.server->stats().half_open == 1);
  CHECK(f.server->stats().handshakes_unanswered == 0);
  // At the deadline, 8 s before handshake_timeout: dropped silently, handed
  // back to the driver to remove, its place free.
  f.now = start + 2s;
  ran.clear();
  f.server->on_timeout(f.now, ran);
  CHECK(std::find(ran.begin(), ran.end(), r.handle) != ran.end());
  CHECK(r.accepted->is_closed());
  CHECK(r.accepted->close_reason().error == core_errc::handshake_timeout);
  CHECK(f.server->stats().half_open == 0);
  CHECK(f.server->stats().handshakes_unanswered == 1);
  std::vector<std::byte> buf(1500);
  CHECK_FALSE(r.accepted->poll_transmit(buf, f.now)); // nothing sent: the client never answered
  f.server->remove(r.handle);

  SUBCASE("0 turns the rule off: the place is held until handshake_timeout") {
    endpoint_config off;
    off.handshake_answer_ptos = 0;
    server_fixture g(off);
    auto held = g.feed(g.initial());
    REQUIRE(held.what == datagram_outcome::kind::accepted);
    std::vector<connection_handle> ran_off;
    const time_point begun = g.now;
    for (int step = 0; step < 100 && g.server->next_timeout() < begun + 9s; ++step) {
      while (held.accepted->poll_transmit(lost, g.now)) {
      }
      g.server->update(held.handle, g.now);
      g.now = std::max(g.now, g.server->next_timeout());
      if (g.now >= begun + 9s) break;
      g.server->on_timeout(g.now, ran_off);
    }
    CHECK_FALSE(held.accepted->is_closed());
    CHECK(g.server->stats().half_open == 1);
    CHECK(g.server->stats().handshakes_unanswered == 0);
  }
}

TEST_CASE("endpoint: a client that answers keeps its place past the answer deadline") {
  endpoint_config c;
  c.max_handshake_answer = 1s;
  c.min_handshake_answer = 1s;
  c.retry_above_half_open = 1;
  server_fixture f(c);
  auto first = f.initial();
  auto r = f.server->on_datagram(first, client_addr, f.now);
  REQUIRE(r.accepted);
  auto& client = *f.client_connections.back();
  std::vector<std::byte> buf(1500);
  // The server's flight reaches the client, which answers; the server gets
  // the answer's first datagram only (its Initial ACK and first Handshake
  // packet), not yet the rest of what the client sends.
  while (auto t = r.accepted->poll_transmit(buf, f.now)) client.on_datagram(std::span(buf).first(t->size), server_addr, f.now);
  auto answer = client.poll_transmit(buf, f.now);
  REQUIRE(answer);
  f.server->on_datagram(std::span(buf).first(answer->size), client_addr, f.now);
  REQUIRE(r.accepted->client_answered());
  MESSAGE("established by the answer's first datagram: " << r.accepted->is_established());
  std::vector<connection_handle> ran;
  f.now += 1500ms;
  f.server->on_timeout(f.now, ran);
  CHECK_FALSE(r.accepted->is_closed());
  CHECK(f.server->stats().handshakes_unanswered == 0);
}

TEST_CASE("endpoint: hosts that answer Retries from more than max_half_open / 2 hosts: places turn over") {
  // Each flooding host holds one place and none can be displaced (a
  // newcomer needs a host holding two more than itself); the answer
  // deadline frees the places the flood holds without answering.
  endpoint_config c;
  c.require_address_validation = true;
  c.max_half_open = 6;
  c.max_handshake_answer = 1s;
  c.retry_above_half_open = 1; // under load from the first handshake
  server_fixture f(c);
  std::vector<std::unique_ptr<connection>> held;
  const auto flood = [&](std::uint8_t first_host, std::uint8_t hosts) {
    for (std::uint8_t host = first_host; host < first_host + hosts; ++host) {
      auto r = f.validated_initial(address::ipv4({198, 51, 100, host}, 1000));
      if (r.accepted) held.push_back(std::move(r.accepted));
    }
  };
  flood(1, 10);
  CHECK(f.server->stats().half_open == 6);
  CHECK(f.server->stats().initials_over_limit == 4);
  const address real = address::ipv4({203, 0, 113, 5}, 5555);
  CHECK(f.validated_initial(real).what == datagram_outcome::kind::dropped); // every host holds one: no place
  f.client_connections.clear();
  // A second later the six handshakes that never answered are gone.
  std::vector<connection_handle> ran;
  f.now += 1s;
  f.server->on_timeout(f.now, ran);
  for (connection_handle h : ran) f.server->remove(h);
  CHECK(f.server->stats().handshakes_unanswered == 6);
  CHECK(f.server->stats().half_open == 0);
  // The flood takes five of the places back at once; the real client, there
  // now, gets the sixth and answers, and keeps it.
  flood(11, 5);
  auto legit = f.handshake(real);
  CHECK(legit.conn->is_established());
  CHECK(f.server->stats().half_open == 5);
}

TEST_CASE("endpoint: a host that left a handshake unanswered gets a place again only while half are free") {
  endpoint_config c;
  c.require_address_validation = true;
  c.max_half_open = 6;
  c.max_handshake_answer = 1s;
  c.retry_above_half_open = 1; // under load from the first handshake
  c.unanswered_penalty = 30s;
  server_fixture f(c);
  std::vector<std::unique_ptr<connection>> held;
  const auto from_host = [&](std::uint8_t host) {
    auto r = f.validated_initial(address::ipv4({198, 51, 100, host}, 1000));
    if (r.accepted) held.push_back(std::move(r.accepted));
    return r.what;
  };
  using kind = datagram_outcome::kind;
  for (std::uint8_t host = 1; host <= 6; ++host) CHECK(from_host(host) == kind::accepted);
  std::vector<connection_handle> ran;
  f.now += 1s;
  f.server->on_timeout(f.now, ran);
  for (connection_handle h : ran) f.server->remove(h);
  REQUIRE(f.server->stats().handshakes_unanswered == 6);
  REQUIRE(f.server->stats().half_open == 0);
  // The six come back: three get in (fewer than 6 / 2 in progress), the
  // other three are dropped, and the places left are for clean hosts.
  for (std::uint8_t host = 1; host <= 6; ++host) (void)from_host(host);
  CHECK(f.server->stats().half_open == 3);
  CHECK(f.server->stats().initials_from_unanswered == 3);
  auto legit = f.handshake(address::ipv4({203, 0, 113, 5}, 5555));
  CHECK(legit.conn->is_established());
  CHECK(from_host(7) == kind::accepted); // never recorded
  // The record expires after the penalty.
  f.now += 31s;
  CHECK(from_host(4) == kind::accepted);
  CHECK(f.server->stats().initials_from_unanswered == 3);
}

/// A short-header packet to `cid`: delivered if the endpoint routes it.
datagram_outcome::kind to_cid(endpoint& ep, const wire::connection_id& cid, const test::network& net) {
  std::vector<std::byte> packet(64, std::byte{0});
  packet[0] = std::byte{0x40};
  std::copy(cid.bytes().begin(), cid.bytes().end(), packet.begin() + 1);
  return ep.on_datagram(packet, net.client_addr, net.now).what;
}

TEST_CASE("endpoint: a peer retiring every ID it is sent keeps the list bounded and the routes right") {
  // Issue 17: each retire made the server issue a replacement and the
  // retired entries stayed, so 120,000 retires left 120,004 entries.
  test::network net(test::pinned_configs());
  REQUIRE(net.handshake());
  net.run_until([] { return false; }, 200ms);
  const std::size_t active = net.server_config.active_connection_ids;
  std::vector<wire::connection_id> seen;
  std::size_t most_held = 0;
  // The client moves to every spare the server sends as soon as it arrives,
  // retiring the one before (RETIRE_CONNECTION_ID), round after round: the
  // server replaces each until connection_ids::local_issue_limit.
  for (int round = 0; round < 2000; ++round) {
    for (const auto& id : net.server->local_connection_ids())
      if (std::find(seen.begin(), seen.end(), id.cid) == seen.end()) seen.push_back(id.cid);
    bool moved = false;
    while (connection_test_access::rotate_peer_id(*net.client)) moved = true;
    if (!moved) break; // no spare left: the server stopped issuing
    net.run_until([] { return false; }, 50ms);
    most_held = std::max(most_held, net.server->local_connection_ids().size());
    REQUIRE(net.server->state() == connection_state::established);
  }
  CHECK(most_held <= active);
  CHECK(seen.size() == connection_ids::local_issue_limit);
  REQUIRE(net.server->local_connection_ids().size() == 1);
  const wire::connection_id current = net.server->local_connection_ids().front().cid;
  // Every retired ID is unrouted; the one still active is routed, and the
  // client still reaches the server through it.
  auto& ep = *net.server_endpoint;
  std::size_t delivered = 0;
  for (const auto& cid : seen)
    if (!(cid == current)) delivered += to_cid(ep, cid, net) == datagram_outcome::kind::delivered;
  CHECK(delivered == 0);
  CHECK(to_cid(ep, current, net) == datagram_outcome::kind::delivered);
}

TEST_CASE("endpoint: retiring IDs the server never sent closes with PROTOCOL_VIOLATION, nothing held") {
  test::network net(test::pinned_configs());
  REQUIRE(net.handshake());
  net.run_until([] { return false; }, 200ms);
  // 300 retires in one packet, of sequences the peer could only guess: each
  // used to be honoured with a replacement.
  std::vector<std::byte> frames;
  for (std::uint64_t s = 1; s <= 300; ++s) {
    const auto f = test::encode_frame(wire::retire_connection_id_frame{s});
    frames.insert(frames.end(), f.begin(), f.end());
  }
  connection_test_access::inject_frames(*net.client, frames);
  REQUIRE(net.run_until([&] { return net.server->state() != connection_state::established; }, 5s));
  CHECK(net.server->close_reason().code ==
        static_cast<std::uint64_t>(wire::transport_error::protocol_violation));
  CHECK(net.server->local_connection_ids().size() <= net.server_config.active_connection_ids);
}

} // namespace tern::core
