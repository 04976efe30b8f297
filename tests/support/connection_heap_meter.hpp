#pragma once

// Client and server core endpoints in one process, in virtual time, with
// the heap each side keeps counted apart: every call into one side is
// bracketed by mallinfo2(), so each is charged only what it holds on to.
// Used by tern-bench-connection-memory (the figures in docs/security.md,
// "Memory per connection") and by connection_memory_tests (bounds on them),
// so the test checks what the bench measures.
//
// OpenSSL's share is counted only where the binary installs counting
// allocator hooks (CRYPTO_set_mem_functions) and points openssl_bytes at
// their running total; elsewhere it stays 0. Sanitizers replace malloc, and
// mallinfo2() then sees nothing.

#include "core/endpoint.hpp"
#include "crypto/certificate.hpp"
#include "crypto/tls_session.hpp"

#include <tern/random.hpp>
#include <tern/time.hpp>

#include <malloc.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

namespace tern::test {

/// What one side keeps: all of it, and OpenSSL's part (when counted).
struct heap_count {
  long long total = 0;
  long long openssl = 0;
};

/// Bytes per connection of a heap_count over `n` connections.
inline heap_count per_connection(const heap_count& c, std::size_t n) {
  if (n == 0) return {};
  return {c.total / static_cast<long long>(n), c.openssl / static_cast<long long>(n)};
}

class connection_heap_meter {
public:
  struct pair {
    core::connection_handle client_handle = core::no_connection;
    std::unique_ptr<core::connection> client;
    core::connection_handle server_handle = core::no_connection;
    std::unique_ptr<core::connection> server;
  };

private:
  // Defined first: later members deduce their return types from counted().
  static long long heap_in_use() { return static_cast<long long>(mallinfo2().uordblks); }

  /// Runs `f`, charging the heap it leaves behind to `side`.
  template <class F>
  auto counted(heap_count& side, F&& f) {
    const long long before = heap_in_use();
    const long long ssl_before = openssl_bytes_ ? *openssl_bytes_ : 0;
    auto result = f();
    side.total += heap_in_use() - before;
    side.openssl += (openssl_bytes_ ? *openssl_bytes_ : 0) - ssl_before;
    return result;
  }

  void connect(pair& p) {
    std::error_code ec;
    p.client = counted(client_heap, [&] { return clients->connect(server_addr_, client_tls_, now_, ec, p.client_handle); });
    if (!p.client) throw std::runtime_error("connect: " + ec.message());
  }

  /// The datagrams one side has to send, copied out of its bracket.
  void drain(heap_count& side, core::connection& c, core::endpoint& e, core::connection_handle h) {
    datagrams_.clear();
    for (;;) {
      std::optional<core::transmit> t = counted(side, [&] { return c.poll_transmit(buf_, now_); });
      if (!t) break;
      datagrams_.emplace_back(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(t->size));
    }
    counted(side, [&] {
      e.update(h, now_);
      return 0;
    });
  }


public:

  /// `openssl_bytes`: the running total of counting OpenSSL hooks, or null.
  /// Throws std::runtime_error if the TLS setup fails.
  connection_heap_meter(std::size_t connections, std::uint64_t seed, const long long* openssl_bytes = nullptr)
      : rng_{seed}, openssl_bytes_{openssl_bytes}, pairs(connections) {
    std::error_code ec;
    auto identity = crypto::generate_self_signed(crypto::key_algorithm::ec_p256, "memory.tern.test", ec);
    if (ec) throw std::runtime_error("certificate: " + ec.message());
    core::connection_config server_cfg, client_cfg;
    server_cfg.tls.identity = identity;
    server_cfg.tls.alpn = {"tern/1"};
    client_cfg.tls.peer.pinned_fingerprints = {identity.fingerprint()};
    client_cfg.tls.alpn = {"tern/1"};
    core::endpoint_config server_side;
    server_side.connection = server_cfg;
    server_side.server_tls = crypto::tls_context::create(crypto::tls_role::server, server_cfg.tls, ec);
    if (ec) throw std::runtime_error("server TLS: " + ec.message());
    server_side.retry_above_half_open = 0; // measure connections, not Retries
    server_side.max_half_open = connections;
    server_side.max_half_open_per_source = connections;
    core::endpoint_config client_side;
    client_side.connection = client_cfg;
    client_tls_ = crypto::tls_context::create(crypto::tls_role::client, client_cfg.tls, ec);
    if (ec) throw std::runtime_error("client TLS: " + ec.message());
    server = std::make_unique<core::endpoint>(server_side, rng_);
    clients = std::make_unique<core::endpoint>(client_side, rng_);
    datagrams_.reserve(64);
  }

  connection_heap_meter(const connection_heap_meter&) = delete;
  connection_heap_meter& operator=(const connection_heap_meter&) = delete;
  ~connection_heap_meter() { forget_all(); }

  /// Each client sends its first flight and the server answers into the
  /// void: the server holds a handshake in progress per pair, each client
  /// a connection attempt.
  void first_flights() {
    for (auto& p : pairs) {
      connect(p);
      drain(client_heap, *p.client, *clients, p.client_handle);
      to_server(p);
      if (p.server) drain(server_heap, *p.server, *server, p.server_handle);
    }
  }

  /// Every handshake to completion, then three quiet rounds 50 ms apart,
  /// so acknowledgements and the last packets are drained both ways.
  void complete_and_idle() {
    for (auto& p : pairs) {
      connect(p);
      for (int round = 0; round < 20 && !p.client->is_established(); ++round) {
        drain(client_heap, *p.client, *clients, p.client_handle);
        to_server(p);
        if (!p.server) break;
        drain(server_heap, *p.server, *server, p.server_handle);
        to_client();
      }
    }
    for (int round = 0; round < 3; ++round) {
      now_ += std::chrono::milliseconds(50);
      for (auto& p : pairs) {
        if (!p.server) continue;
        counted(client_heap, [&] {
          p.client->on_timeout(now_);
          return 0;
        });
        drain(client_heap, *p.client, *clients, p.client_handle);
        to_server(p);
        counted(server_heap, [&] {
          p.server->on_timeout(now_);
          return 0;
        });
        drain(server_heap, *p.server, *server, p.server_handle);
        to_client();
      }
    }
  }

  /// Forgets and destroys every connection (an endpoint forgets a
  /// connection before its owner destroys it) and zeroes the counts.
  void start_over() {
    forget_all();
    for (auto& p : pairs) p = pair{};
    server_heap = {};
    client_heap = {};
  }

  std::size_t established() const {
    std::size_t n = 0;
    for (const auto& p : pairs) n += p.server && p.server->is_established() && p.client->is_established();
    return n;
  }

private:
  random_source rng_;
  const long long* openssl_bytes_;
  std::shared_ptr<const crypto::tls_context> client_tls_;
  std::vector<std::byte> buf_ = std::vector<std::byte>(1500);
  std::vector<std::vector<std::byte>> datagrams_;
  time_point now_{std::chrono::seconds(1)};
  address client_addr_ = address::ipv4({10, 0, 0, 1}, 4000);
  address server_addr_ = address::ipv4({10, 0, 0, 2}, 443);

public:
  std::unique_ptr<core::endpoint> server;
  std::unique_ptr<core::endpoint> clients;
  std::vector<pair> pairs;
  heap_count server_heap;
  heap_count client_heap;

private:
  void to_server(pair& p) {
    for (auto& d : datagrams_) {
      auto r = counted(server_heap, [&] { return server->on_datagram(d, client_addr_, now_); });
      if (r.accepted) {
        p.server = std::move(r.accepted);
        p.server_handle = r.handle;
      }
    }
  }

  void to_client() {
    for (auto& d : datagrams_) counted(client_heap, [&] { return clients->on_datagram(d, server_addr_, now_); });
  }

  void forget_all() {
    for (auto& p : pairs) {
      if (p.server) server->remove(p.server_handle);
      if (p.client) clients->remove(p.client_handle);
    }
  }
};

} // namespace tern::test
