// tern-bench-connection-memory: the heap one connection holds, on the
// server and on the client, for a handshake in progress and for an idle
// established connection (docs/security.md, docs/connection.md). Client and
// server endpoints run in one process in virtual time; every call into one
// side is bracketed by mallinfo2(), so each side is charged only what it
// keeps. OpenSSL's allocations go through counting hooks
// (CRYPTO_set_mem_functions), which splits each figure into OpenSSL's share
// (the TLS session: SSL object, BIOs, handshake state) and tern's.
//
//   tern-bench-connection-memory [CONNECTIONS] [--hold]   (default 500)
//
// Output: one JSON object; bytes are per connection, averaged. --hold exits
// without destroying anything, so a heap profiler lists what the idle
// established connections hold, by call site, as leaks:
//
//   heaptrack build/release/bench/core/tern-bench-connection-memory 100 --hold
//   heaptrack_print -f heaptrack.*.zst --print-leaks 1 -n 1000 -s 1000

#include "core/endpoint.hpp"
#include "crypto/certificate.hpp"
#include "crypto/tls_session.hpp"

#include <openssl/crypto.h>

#include <malloc.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace {

using namespace tern;

// --- OpenSSL's share: its allocations carry their size in a header -----------

constexpr std::size_t header = 16; // keeps malloc's alignment
long long openssl_in_use = 0;

void* counting_malloc(std::size_t n, const char*, int) {
  auto* p = static_cast<unsigned char*>(std::malloc(n + header));
  if (p == nullptr) return nullptr;
  std::memcpy(p, &n, sizeof n);
  openssl_in_use += static_cast<long long>(n);
  return p + header;
}

void counting_free(void* q, const char*, int) {
  if (q == nullptr) return;
  auto* p = static_cast<unsigned char*>(q) - header;
  std::size_t n = 0;
  std::memcpy(&n, p, sizeof n);
  openssl_in_use -= static_cast<long long>(n);
  std::free(p);
}

void* counting_realloc(void* q, std::size_t n, const char* file, int line) {
  if (q == nullptr) return counting_malloc(n, file, line);
  if (n == 0) {
    counting_free(q, file, line);
    return nullptr;
  }
  auto* p = static_cast<unsigned char*>(q) - header;
  std::size_t old = 0;
  std::memcpy(&old, p, sizeof old);
  auto* r = static_cast<unsigned char*>(std::realloc(p, n + header));
  if (r == nullptr) return nullptr;
  std::memcpy(r, &n, sizeof n);
  openssl_in_use += static_cast<long long>(n) - static_cast<long long>(old);
  return r + header;
}

/// Heap in use now, bytes.
long long heap_in_use() { return static_cast<long long>(mallinfo2().uordblks); }

/// What one side keeps: all of it, and OpenSSL's part.
struct heap_count {
  long long total = 0;
  long long openssl = 0;
};

/// Runs `f`, charging the heap it leaves behind to `counter`.
template <class F>
auto counted(heap_count& counter, F&& f) {
  const long long before = heap_in_use();
  const long long ssl_before = openssl_in_use;
  auto result = f();
  counter.total += heap_in_use() - before;
  counter.openssl += openssl_in_use - ssl_before;
  return result;
}

struct per_connection {
  long long total = 0;
  long long openssl = 0;
};

per_connection average(const heap_count& c, std::size_t n) {
  if (n == 0) return {};
  return {c.total / static_cast<long long>(n), c.openssl / static_cast<long long>(n)};
}

} // namespace

int main(int argc, char** argv) {
  // Before OpenSSL allocates anything, or it refuses.
  const bool hooked = CRYPTO_set_mem_functions(counting_malloc, counting_realloc, counting_free) == 1;
  std::size_t n = 500;
  bool hold = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--hold") {
      hold = true;
      continue;
    }
    if (std::from_chars(a.data(), a.data() + a.size(), n).ec != std::errc{} || n == 0 || n > 10000) {
      std::fprintf(stderr, "usage: tern-bench-connection-memory [CONNECTIONS (1-10000)] [--hold]\n");
      return 2;
    }
  }
  std::error_code ec;
  auto identity = crypto::generate_self_signed(crypto::key_algorithm::ec_p256, "bench.tern", ec);
  core::connection_config server_cfg, client_cfg;
  server_cfg.tls.identity = identity;
  client_cfg.tls.peer.pinned_fingerprints = {identity.fingerprint()};
  random_source rng(1);
  core::endpoint_config server_side;
  server_side.connection = server_cfg;
  server_side.server_tls = crypto::tls_context::create(crypto::tls_role::server, server_cfg.tls, ec);
  server_side.retry_above_half_open = 0; // measure connections, not Retries
  server_side.max_half_open = n;
  server_side.max_half_open_per_source = n;
  core::endpoint_config client_side;
  client_side.connection = client_cfg;
  auto client_tls = crypto::tls_context::create(crypto::tls_role::client, client_cfg.tls, ec);
  if (ec) return 1;

  heap_count server_heap, client_heap;
  core::endpoint server(server_side, rng);
  core::endpoint clients(client_side, rng);
  const auto client_addr = address::ipv4({10, 0, 0, 1}, 4000);
  const auto server_addr = address::ipv4({10, 0, 0, 2}, 443);
  struct pair {
    core::connection_handle client_handle = core::no_connection;
    std::unique_ptr<core::connection> client;
    core::connection_handle server_handle = core::no_connection;
    std::unique_ptr<core::connection> server;
  };
  std::vector<pair> pairs(n);
  std::vector<std::byte> buf(1500);
  std::vector<std::vector<std::byte>> datagrams;
  datagrams.reserve(64);
  time_point now{std::chrono::seconds(1)};
  // Datagrams one side has to send, copied out of its bracket.
  auto drain = [&](heap_count& side, core::connection& c, core::endpoint& e, core::connection_handle h) {
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
  };
  auto to_server = [&](pair& p, std::span<std::byte> d) {
    auto r = counted(server_heap, [&] { return server.on_datagram(d, client_addr, now); });
    if (r.accepted) {
      p.server = std::move(r.accepted);
      p.server_handle = r.handle;
    }
  };
  auto connect = [&](pair& p) {
    p.client = counted(client_heap, [&] { return clients.connect(server_addr, client_tls, now, ec, p.client_handle); });
  };

  // 1. Each client's first flight: the server holds a handshake in progress,
  // the client a connection attempt.
  for (auto& p : pairs) {
    connect(p);
    drain(client_heap, *p.client, clients, p.client_handle);
    for (auto& d : datagrams) to_server(p, d);
    if (p.server) drain(server_heap, *p.server, server, p.server_handle); // not delivered: still in progress
  }
  const auto half_open = server.stats().half_open;
  const auto server_half_open = average(server_heap, half_open);
  const auto client_connecting = average(client_heap, n);

  // 2. Start over with fresh pairs (an endpoint forgets a connection
  // before its owner destroys it), finish every handshake, go quiet.
  for (auto& p : pairs) {
    server.remove(p.server_handle);
    p.server.reset();
    clients.remove(p.client_handle);
    p.client.reset();
  }
  server_heap = {};
  client_heap = {};
  for (auto& p : pairs) {
    connect(p);
    for (int round = 0; round < 20 && !p.client->is_established(); ++round) {
      drain(client_heap, *p.client, clients, p.client_handle);
      for (auto& d : datagrams) to_server(p, d);
      if (!p.server) break;
      drain(server_heap, *p.server, server, p.server_handle);
      for (auto& d : datagrams)
        counted(client_heap, [&] { return clients.on_datagram(d, server_addr, now); });
    }
  }
  // Idle: acknowledgements and the last packets drained both ways.
  for (int round = 0; round < 3; ++round) {
    now += std::chrono::milliseconds(50);
    for (auto& p : pairs) {
      if (!p.server) continue;
      counted(client_heap, [&] {
        p.client->on_timeout(now);
        return 0;
      });
      drain(client_heap, *p.client, clients, p.client_handle);
      for (auto& d : datagrams) to_server(p, d);
      counted(server_heap, [&] {
        p.server->on_timeout(now);
        return 0;
      });
      drain(server_heap, *p.server, server, p.server_handle);
      for (auto& d : datagrams)
        counted(client_heap, [&] { return clients.on_datagram(d, server_addr, now); });
    }
  }
  std::size_t established = 0;
  for (auto& p : pairs) established += p.server && p.server->is_established() && p.client->is_established();
  const auto server_idle = average(server_heap, established);
  const auto client_idle = average(client_heap, established);
  std::printf("{\"connections\": %zu, \"half_open\": %zu, \"established\": %zu, \"openssl_counted\": %s,\n"
              " \"server\": {\"bytes_per_half_open\": %lld, \"openssl_per_half_open\": %lld, "
              "\"bytes_per_idle_established\": %lld, \"openssl_per_idle_established\": %lld},\n"
              " \"client\": {\"bytes_per_connecting\": %lld, \"openssl_per_connecting\": %lld, "
              "\"bytes_per_idle_established\": %lld, \"openssl_per_idle_established\": %lld}}\n",
              n, half_open, established, hooked ? "true" : "false", server_half_open.total,
              server_half_open.openssl, server_idle.total, server_idle.openssl, client_connecting.total,
              client_connecting.openssl, client_idle.total, client_idle.openssl);
  const int status = established == n && half_open == n ? 0 : 1;
  if (hold) {
    std::fflush(stdout);
    std::_Exit(status); // no destructors: the connections stay allocated
  }
  return status;
}
