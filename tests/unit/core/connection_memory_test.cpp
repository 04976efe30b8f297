// The heap a connection keeps (issue #17, docs/security.md "Memory per
// connection"): a server's half-open connection and an idle established
// connection on either side stay under a bound, so a change that makes every
// connection hold a large buffer again fails here. Measured as
// tern-bench-connection-memory does: mallinfo2() around every call into one
// side, in a binary of its own. Sanitizers replace malloc (mallinfo2 then
// sees nothing), so the bounds are checked in ordinary builds only.

#include "core/endpoint.hpp"
#include "crypto/certificate.hpp"
#include "crypto/tls_session.hpp"
#include "support/seed.hpp"

#include <doctest/doctest.h>

#include <malloc.h>

#include <tern/random.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define TERN_MEMORY_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define TERN_MEMORY_SANITIZED 1
#endif
#endif
#ifndef TERN_MEMORY_SANITIZED
#define TERN_MEMORY_SANITIZED 0
#endif

namespace {

using namespace tern;
using namespace std::chrono_literals;

/// Bounds, bytes per connection: the figures measured when they were set
/// (docs/security.md: about 65 KB half-open, of which OpenSSL 48 KB; 14-18 KB
/// idle established) plus a margin for allocator and OpenSSL differences.
/// Issue 17's target for an idle established connection is 32 KiB.
constexpr long long max_server_half_open = 80 * 1024;
constexpr long long max_idle_established = 24 * 1024;

long long heap_in_use() { return static_cast<long long>(mallinfo2().uordblks); }

template <class F>
auto counted(long long& counter, F&& f) {
  const long long before = heap_in_use();
  auto result = f();
  counter += heap_in_use() - before;
  return result;
}

struct pair {
  core::connection_handle client_handle = core::no_connection;
  std::unique_ptr<core::connection> client;
  core::connection_handle server_handle = core::no_connection;
  std::unique_ptr<core::connection> server;
};

/// Client and server endpoints in one process, each side's heap counted
/// apart. `complete`: finish the handshakes and let the connections go
/// idle; otherwise the server's first flight is never delivered.
struct bench {
  static constexpr std::size_t connections = 16;

  random_source rng{tern::test::seed()};
  std::unique_ptr<core::endpoint> server;
  std::unique_ptr<core::endpoint> clients;
  std::shared_ptr<const crypto::tls_context> client_tls;
  std::vector<pair> pairs{connections};
  std::vector<std::byte> buf = std::vector<std::byte>(1500);
  std::vector<std::vector<std::byte>> datagrams;
  time_point now{std::chrono::seconds(1)};
  long long server_heap = 0;
  long long client_heap = 0;
  address client_addr = address::ipv4({10, 0, 0, 1}, 4000);
  address server_addr = address::ipv4({10, 0, 0, 2}, 443);

  bench() {
    std::error_code ec;
    auto identity = crypto::generate_self_signed(crypto::key_algorithm::ec_p256, "memory.tern.test", ec);
    REQUIRE_FALSE(ec);
    core::connection_config server_cfg, client_cfg;
    server_cfg.tls.identity = identity;
    server_cfg.tls.alpn = {"tern/1"};
    client_cfg.tls.peer.pinned_fingerprints = {identity.fingerprint()};
    client_cfg.tls.alpn = {"tern/1"};
    core::endpoint_config server_side;
    server_side.connection = server_cfg;
    server_side.server_tls = crypto::tls_context::create(crypto::tls_role::server, server_cfg.tls, ec);
    REQUIRE_FALSE(ec);
    server_side.retry_above_half_open = 0;
    server_side.max_half_open = connections;
    server_side.max_half_open_per_source = connections;
    core::endpoint_config client_side;
    client_side.connection = client_cfg;
    client_tls = crypto::tls_context::create(crypto::tls_role::client, client_cfg.tls, ec);
    REQUIRE_FALSE(ec);
    server = std::make_unique<core::endpoint>(server_side, rng);
    clients = std::make_unique<core::endpoint>(client_side, rng);
    datagrams.reserve(64);
  }

  ~bench() {
    for (auto& p : pairs) {
      if (p.server) server->remove(p.server_handle);
      if (p.client) clients->remove(p.client_handle);
    }
  }

  void drain(long long& side, core::connection& c, core::endpoint& e, core::connection_handle h) {
    datagrams.clear();
    for (;;) {
      std::optional<core::transmit> t = counted(side, [&] { return c.poll_transmit(buf, now); });
      if (!t) break;
      datagrams.emplace_back(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(t->size));
    }
    counted(side, [&] {
      e.update(h, now);
      return 0;
    });
  }

  void to_server(pair& p) {
    for (auto& d : datagrams) {
      auto r = counted(server_heap, [&] { return server->on_datagram(d, client_addr, now); });
      if (r.accepted) {
        p.server = std::move(r.accepted);
        p.server_handle = r.handle;
      }
    }
  }

  void to_client() {
    for (auto& d : datagrams) counted(client_heap, [&] { return clients->on_datagram(d, server_addr, now); });
  }

  void run(bool complete) {
    std::error_code ec;
    for (auto& p : pairs) {
      p.client = counted(client_heap, [&] { return clients->connect(server_addr, client_tls, now, ec, p.client_handle); });
      REQUIRE(p.client);
      for (int round = 0; round < 20 && !p.client->is_established(); ++round) {
        drain(client_heap, *p.client, *clients, p.client_handle);
        to_server(p);
        REQUIRE(p.server);
        drain(server_heap, *p.server, *server, p.server_handle);
        if (!complete) break;
        to_client();
      }
    }
    if (!complete) return;
    for (int round = 0; round < 3; ++round) {
      now += 50ms;
      for (auto& p : pairs) {
        counted(client_heap, [&] {
          p.client->on_timeout(now);
          return 0;
        });
        drain(client_heap, *p.client, *clients, p.client_handle);
        to_server(p);
        counted(server_heap, [&] {
          p.server->on_timeout(now);
          return 0;
        });
        drain(server_heap, *p.server, *server, p.server_handle);
        to_client();
      }
    }
  }
};

} // namespace

TEST_CASE("connection memory: a server's half-open connection stays under its bound") {
  bench b;
  b.run(false);
  REQUIRE(b.server->stats().half_open == bench::connections);
  const long long per = b.server_heap / static_cast<long long>(bench::connections);
  MESSAGE("server half-open: " << per << " bytes per connection");
  if (TERN_MEMORY_SANITIZED) return;
  CHECK(per > 0);
  CHECK(per <= max_server_half_open);
}

TEST_CASE("connection memory: an idle established connection stays under its bound on either side") {
  bench b;
  b.run(true);
  for (auto& p : b.pairs) {
    REQUIRE(p.client->is_established());
    REQUIRE(p.server->is_established());
    // What the freed TLS session used to answer.
    CHECK(p.client->alpn() == "tern/1");
    CHECK(p.server->alpn() == "tern/1");
    CHECK(p.client->peer_fingerprint().has_value());
  }
  const long long server = b.server_heap / static_cast<long long>(bench::connections);
  const long long client = b.client_heap / static_cast<long long>(bench::connections);
  MESSAGE("idle established: server " << server << ", client " << client << " bytes per connection");
  if (TERN_MEMORY_SANITIZED) return;
  CHECK(server > 0);
  CHECK(server <= max_idle_established);
  CHECK(client > 0);
  CHECK(client <= max_idle_established);
}
