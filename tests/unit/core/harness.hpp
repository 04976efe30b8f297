#pragma once

// An in-memory network for two sans-IO endpoints in virtual time, one
// connection each: each datagram a side produces is delivered to the other
// after `one_way` (optionally dropped, or altered by a test hook), timers
// fire exactly when due. The harness is a driver like the Asio endpoint:
// datagrams and timers go through core::endpoint, so every test runs the
// production routing and admission (Retry, NEW_TOKEN). Everything is driven
// by one seeded random_source.

#include "core/connection.hpp"
#include "core/endpoint.hpp"
#include "crypto/certificate.hpp"
#include "crypto/tls_session.hpp"
#include "support/seed.hpp"
#include "wire/header.hpp"

#include <doctest/doctest.h>

#include <tern/random.hpp>
#include <tern/time.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

template <>
struct doctest::StringMaker<std::error_code> {
  static doctest::String convert(const std::error_code& ec) {
    return (std::string(ec.category().name()) + ": " + ec.message()).c_str();
  }
};

namespace tern::core::test {

using namespace std::chrono_literals;

inline crypto::tls_identity make_identity(std::string_view name = "server.tern.test") {
  std::error_code ec;
  auto id = crypto::generate_self_signed(crypto::key_algorithm::ec_p256, name, ec);
  REQUIRE_FALSE(ec);
  return id;
}

/// Cached: key generation is the slow part of a handshake test.
inline const crypto::tls_identity& server_identity() {
  static const crypto::tls_identity id = make_identity();
  return id;
}

/// Client and server configs authenticated by a pinned fingerprint.
inline std::pair<connection_config, connection_config> pinned_configs() {
  connection_config client;
  connection_config server;
  server.tls.identity = server_identity();
  server.tls.alpn = {"tern/1"};
  client.tls.peer.pinned_fingerprints = {server_identity().fingerprint()};
  client.tls.alpn = {"tern/1"};
  return {client, server};
}

struct in_flight {
  time_point deliver_at;
  bool to_server;
  std::vector<std::byte> bytes;
  address from;
};

class network {
public:
  explicit network(std::pair<connection_config, connection_config> configs, std::uint64_t seed = tern::test::seed())
      : rng(seed), client_config(std::move(configs.first)), server_config(std::move(configs.second)) {}

  random_source rng;
  connection_config client_config;
  connection_config server_config;
  std::unique_ptr<connection> client;
  std::unique_ptr<connection> server;
  std::error_code client_error;
  std::error_code server_error;
  address client_addr = address::ipv4({10, 0, 0, 1}, 40000);
  address server_addr = address::ipv4({10, 0, 0, 2}, 443);
  time_point now{};
  duration one_way = 10ms;
  double loss = 0;    ///< independent loss probability, both directions
  double reorder = 0; ///< probability a datagram takes an extra `one_way`
  /// Called for every datagram before delivery; return false to drop it.
  std::function<bool(bool to_server, std::vector<std::byte>& bytes)> hook;
  std::vector<in_flight> queue;
  /// When the application next wants to run (e.g. a paced reader), so that
  /// run_until's predicate is called then even with no packet or timer due.
  time_point app_wakeup = never;
  std::uint64_t bytes_to_server = 0;
  std::uint64_t bytes_from_server = 0;
  /// Largest amount the server ever had sent beyond 3x what it received
  /// before the client's address was validated (should stay <= 0).
  std::int64_t worst_amplification_excess = INT64_MIN;
  bool server_validated_seen = false;
  std::vector<connection_event> client_events;
  std::vector<connection_event> server_events;
  /// When set, the server endpoint validates addresses with it (a Retry
  /// before accepting, a NEW_TOKEN token once the handshake is confirmed).
  address_validation* validator = nullptr;
  std::size_t retries_sent = 0;
  std::size_t initials_refused = 0; ///< carried a Retry token that did not validate
  /// How the server admitted the connection (validator set).
  std::optional<initial_admission> admission;
  /// Given to the client's connect(): a NEW_TOKEN token from an earlier run.
  std::vector<std::byte> client_address_token;
  /// Given to the client's connect(): a session ticket from an earlier run.
  std::vector<std::byte> client_ticket;
  bool client_early_data = false;
  bool client_early_datagrams = false;

  void start() {
    std::error_code ec;
    server_tls = crypto::tls_context::create(crypto::tls_role::server, server_config.tls, ec);
    REQUIRE_MESSAGE(!ec, ec.message());
    endpoint_config server_side;
    server_side.connection = server_config;
    server_side.server_tls = server_tls;
    // The test owns the validator; the endpoint only borrows it.
    if (validator) server_side.shared_validation = std::shared_ptr<address_validation>(std::shared_ptr<void>{}, validator);
    REQUIRE_FALSE(check(server_side));
    server_endpoint = std::make_unique<endpoint>(server_side, rng);
    endpoint_config client_side;
    client_side.connection = client_config;
    client_endpoint = std::make_unique<endpoint>(client_side, rng);
    auto ctx = crypto::tls_context::create(crypto::tls_role::client, client_config.tls, ec);
    REQUIRE_MESSAGE(!ec, ec.message());
    client = client_endpoint->connect(server_addr, ctx, now, ec, client_handle, client_address_token,
                                      resumption_offer{client_ticket, client_early_data, client_early_datagrams});
    REQUIRE_MESSAGE(!ec, ec.message());
    REQUIRE(client);
  }

  void deliver(in_flight& d) {
    if (!d.to_server) {
      client_endpoint->on_datagram(d.bytes, d.from, now);
      return;
    }
    bytes_to_server += d.bytes.size();
    auto outcome = server_endpoint->on_datagram(d.bytes, d.from, now);
    const auto counts = server_endpoint->stats();
    retries_sent = counts.retries_sent;
    initials_refused = counts.initials_refused;
    if (outcome.what != datagram_outcome::kind::accepted) return;
    // One connection per test: a second one would be a routing bug.
    REQUIRE_FALSE(server);
    server = std::move(outcome.accepted);
    server_handle = outcome.handle;
    server_endpoint->claim(server_handle);
    admission = outcome.admission;
  }

  /// Queues `bytes` for the other side, through the hook and the loss model.
  void transmit(std::vector<std::byte> bytes, bool to_server) {
    if (hook && !hook(to_server, bytes)) return;
    if (loss > 0 && rng.uniform01() < loss) return;
    duration delay = one_way;
    if (reorder > 0 && rng.uniform01() < reorder) delay += one_way;
    queue.push_back(in_flight{now + delay, to_server, std::move(bytes), to_server ? client_addr : server_addr});
  }

  /// The server endpoint's stateless answers (Retries).
  void send_answers() {
    std::vector<std::byte> buf(1500);
    while (auto t = server_endpoint->poll_transmit(buf)) {
      bytes_from_server += t->size;
      transmit(std::vector<std::byte>(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(t->size)), false);
    }
  }

  void send_from(connection& c, bool to_server) {
    std::vector<std::byte> buf(1500);
    for (int i = 0; i < 10000; ++i) {
      auto t = c.poll_transmit(buf, now);
      if (!t) break;
      REQUIRE(t->size <= 1500);
      std::vector<std::byte> bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(t->size));
      if (!to_server) {
        bytes_from_server += bytes.size();
        if (!server_validated_seen)
          worst_amplification_excess =
              std::max(worst_amplification_excess,
                       static_cast<std::int64_t>(bytes_from_server) - 3 * static_cast<std::int64_t>(bytes_to_server));
      }
      transmit(std::move(bytes), to_server);
    }
    // What the application did and what was sent moved the timers.
    if (to_server)
      client_endpoint->update(client_handle, now);
    else
      server_endpoint->update(server_handle, now);
  }

  void collect_events() {
    if (client)
      while (auto e = client->poll_event()) client_events.push_back(*e);
    if (server)
      while (auto e = server->poll_event()) server_events.push_back(*e);
  }

  /// One step: send everything sendable, then advance to the next event.
  /// Returns false when nothing is left to happen.
  bool step(time_point limit) {
    if (server && server->is_established()) server_validated_seen = true;
    send_from(*client, true);
    if (server) send_from(*server, false);
    send_answers();
    collect_events();
    time_point next = never;
    for (const auto& d : queue) next = std::min(next, d.deliver_at);
    next = std::min(next, client_endpoint->next_timeout());
    next = std::min(next, server_endpoint->next_timeout());
    if (app_wakeup > now) next = std::min(next, app_wakeup);
    if (next == never || next > limit) return false;
    now = std::max(now, next);
    // Deliver what is due in deliver_at order, ties in the order sent. Only
    // the due datagrams are sorted: sorting the whole queue every step, and
    // erasing from its front one by one, made a long fat path (thousands in
    // flight) quadratic.
    const auto not_due =
        std::stable_partition(queue.begin(), queue.end(), [&](const in_flight& d) { return d.deliver_at <= now; });
    std::vector<in_flight> due(std::make_move_iterator(queue.begin()), std::make_move_iterator(not_due));
    queue.erase(queue.begin(), not_due);
    std::stable_sort(due.begin(), due.end(),
                     [](const in_flight& a, const in_flight& b) { return a.deliver_at < b.deliver_at; });
    for (auto& d : due) deliver(d);
    std::vector<connection_handle> ran;
    client_endpoint->on_timeout(now, ran);
    server_endpoint->on_timeout(now, ran);
    collect_events();
    return true;
  }

  /// Runs until `done()` or virtual time passes `deadline` from now.
  bool run_until(const std::function<bool()>& done, duration deadline = 30s) {
    const time_point limit = now + deadline;
    while (!done()) {
      if (!step(limit)) return done();
    }
    return true;
  }

  /// Starts the connection, delivers only the client's first `datagrams`
  /// datagrams (every later one is dropped), runs for `span` and returns
  /// the bytes the server sent: what an unanswered server does within its
  /// amplification budget, or without one.
  std::uint64_t run_with_client_silent_after(int datagrams, duration span) {
    int client_datagrams = 0;
    hook = [&, datagrams](bool to_server, std::vector<std::byte>&) {
      return !to_server || ++client_datagrams <= datagrams;
    };
    start();
    run_until([] { return false; }, span);
    hook = nullptr;
    return bytes_from_server;
  }

  bool handshake(duration deadline = 5s) {
    if (!client) start();
    return run_until([&] { return client->is_established() && server && server->is_established(); }, deadline);
  }

  std::shared_ptr<const crypto::tls_context> server_tls;
  // Pointers, so a network can be returned by value (connections and
  // endpoints keep a reference to `rng`: only a copy-elided return is safe).
  std::unique_ptr<endpoint> client_endpoint;
  std::unique_ptr<endpoint> server_endpoint;
  connection_handle client_handle = no_connection;
  connection_handle server_handle = no_connection;
};

/// One frame's bytes, for connection_test_access::inject_frames.
inline std::vector<std::byte> encode_frame(const wire::frame& f) {
  std::vector<std::byte> out(wire::encoded_size(f));
  wire::writer w(out);
  REQUIRE_FALSE(wire::encode(w, f));
  return out;
}

inline std::vector<std::byte> pattern(std::size_t n, std::uint64_t seed) {
  random_source r(seed);
  std::vector<std::byte> v(n);
  r.fill(v);
  return v;
}

/// A handshake over a 50 ms one-way path, then a quiet second so nothing
/// of the handshake is in flight or pending when a test starts.
inline void settle_after_handshake(network& net) {
  net.one_way = 50ms;
  REQUIRE(net.handshake());
  net.run_until([] { return false; }, 1s);
}

/// Runs until the server has the next message event (3 s at most).
inline stream::message_event receive_message_event(network& net) {
  std::optional<stream::message_event> got;
  REQUIRE(net.run_until(
      [&] {
        if (!got) got = net.server->receive_message(net.now);
        return got.has_value();
      },
      3s));
  return *got;
}

/// Starts `net` and returns when, after the start, the client heard
/// handshake_complete.
inline duration client_handshake_event(network& net) {
  net.start();
  const time_point start = net.now;
  time_point heard{};
  REQUIRE(net.run_until([&] {
    for (const auto& e : net.client_events)
      if (e.what == connection_event::kind::handshake_complete && heard == time_point{}) heard = net.now;
    return heard != time_point{};
  }, 5s));
  return heard - start;
}

} // namespace tern::core::test
