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

#include "support/connection_heap_meter.hpp"

#include <openssl/crypto.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string_view>

namespace {

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

} // namespace

int main(int argc, char** argv) try {
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
  using tern::test::per_connection;
  tern::test::connection_heap_meter meter(n, 1, hooked ? &openssl_in_use : nullptr);

  // 1. Each client's first flight: the server holds a handshake in progress,
  // the client a connection attempt.
  meter.first_flights();
  const auto half_open = meter.server->stats().half_open;
  const auto server_half_open = per_connection(meter.server_heap, half_open);
  const auto client_connecting = per_connection(meter.client_heap, n);

  // 2. Fresh pairs, every handshake finished, then quiet.
  meter.start_over();
  meter.complete_and_idle();
  const std::size_t established = meter.established();
  const auto server_idle = per_connection(meter.server_heap, established);
  const auto client_idle = per_connection(meter.client_heap, established);
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
} catch (const std::exception& e) {
  std::fprintf(stderr, "tern-bench-connection-memory: %s\n", e.what());
  return 1;
}
