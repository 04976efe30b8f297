// tern-bench-connection-memory: the heap a server holds per connection, for
// a handshake in progress and for an idle established connection
// (docs/security.md). Client and server endpoints run in one process in
// virtual time; every call into the server side is bracketed by
// mallinfo2(), so only what the server keeps is counted.
//
//   tern-bench-connection-memory [CONNECTIONS]   (default 500)

#include "core/endpoint.hpp"
#include "crypto/certificate.hpp"
#include "crypto/tls_session.hpp"

#include <malloc.h>

#include <charconv>
#include <cstdio>
#include <memory>
#include <string_view>
#include <vector>

namespace {

using namespace tern;

/// Heap in use now, bytes.
long long heap_in_use() { return static_cast<long long>(mallinfo2().uordblks); }

/// Runs `f`, adding the heap it leaves behind to `counter`.
template <class F>
auto counted(long long& counter, F&& f) {
  const long long before = heap_in_use();
  auto result = f();
  counter += heap_in_use() - before;
  return result;
}

} // namespace

int main(int argc, char** argv) {
  std::size_t n = 500;
  if (argc > 1) {
    const std::string_view a = argv[1];
    if (std::from_chars(a.data(), a.data() + a.size(), n).ec != std::errc{} || n == 0 || n > 10000) {
      std::fprintf(stderr, "usage: tern-bench-connection-memory [CONNECTIONS (1-10000)]\n");
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

  long long server_heap = 0;
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
  time_point now{std::chrono::seconds(1)};
  // 1. Each client's first flight: the server holds a handshake in progress.
  for (auto& p : pairs) {
    p.client = clients.connect(server_addr, client_tls, now, ec, p.client_handle);
    while (auto t = p.client->poll_transmit(buf, now)) {
      auto r = counted(server_heap, [&] { return server.on_datagram(std::span(buf).first(t->size), client_addr, now); });
      if (r.accepted) {
        p.server = std::move(r.accepted);
        p.server_handle = r.handle;
      }
    }
    counted(server_heap, [&] {
      while (p.server && p.server->poll_transmit(buf, now)) {
      } // its answer is not delivered: the handshake stays in progress
      server.update(p.server_handle, now);
      return 0;
    });
  }
  const auto half_open = server.stats().half_open;
  const long long per_half_open = half_open ? server_heap / static_cast<long long>(half_open) : 0;

  // 2. Start over with fresh pairs (an endpoint forgets a connection
  // before its owner destroys it), finish every handshake, go quiet.
  for (auto& p : pairs) {
    server.remove(p.server_handle);
    p.server.reset();
    clients.remove(p.client_handle);
    p.client.reset();
  }
  server_heap = 0;
  for (auto& p : pairs) {
    p.client = clients.connect(server_addr, client_tls, now, ec, p.client_handle);
    for (int round = 0; round < 20 && !p.client->is_established(); ++round) {
      while (auto t = p.client->poll_transmit(buf, now)) {
        auto r =
            counted(server_heap, [&] { return server.on_datagram(std::span(buf).first(t->size), client_addr, now); });
        if (r.accepted) {
          p.server = std::move(r.accepted);
          p.server_handle = r.handle;
        }
      }
      if (!p.server) break;
      std::vector<std::vector<std::byte>> replies;
      counted(server_heap, [&] {
        while (auto t = p.server->poll_transmit(buf, now)) replies.emplace_back(buf.begin(), buf.begin() + t->size);
        server.update(p.server_handle, now);
        return 0;
      });
      for (auto& d : replies) p.client->on_datagram(d, server_addr, now);
      replies.clear();
    }
  }
  // Idle: acknowledgements and the last packets drained both ways.
  for (int round = 0; round < 3; ++round) {
    now += std::chrono::milliseconds(50);
    for (auto& p : pairs) {
      if (!p.server) continue;
      while (auto t = p.client->poll_transmit(buf, now))
        counted(server_heap, [&] { return server.on_datagram(std::span(buf).first(t->size), client_addr, now); });
      counted(server_heap, [&] {
        p.server->on_timeout(now);
        while (p.server->poll_transmit(buf, now)) {
        }
        server.update(p.server_handle, now);
        return 0;
      });
    }
  }
  std::size_t established = 0;
  for (auto& p : pairs) established += p.server && p.server->is_established();
  const long long per_established = established ? server_heap / static_cast<long long>(established) : 0;
  std::printf("{\"connections\": %zu, \"half_open\": %zu, \"bytes_per_half_open\": %lld, "
              "\"established\": %zu, \"bytes_per_idle_established\": %lld}\n",
              n, half_open, per_half_open, established, per_established);
  return established == n && half_open == n ? 0 : 1;
}
