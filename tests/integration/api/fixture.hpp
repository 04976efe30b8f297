#pragma once

// A server and a client endpoint on loopback (ephemeral ports) sharing one
// io_context, and a bounded run loop: tests stop the loop themselves when
// done; the bound only turns a hang into a failure.

#include "crypto/sha256.hpp"
#include "support/seed.hpp"

#include <tern/tern.hpp>

#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <array>
#include <chrono>
#include <exception>
#include <functional>
#include <future>
#include <span>
#include <thread>
#include <string>
#include <vector>

template <>
struct doctest::StringMaker<std::error_code> {
  static doctest::String convert(const std::error_code& ec) {
    return (std::string(ec.category().name()) + ": " + ec.message()).c_str();
  }
};

namespace tern::test {

using namespace std::chrono_literals;
using asio::use_awaitable;
inline constexpr auto as_tuple = asio::experimental::as_tuple(asio::use_awaitable);

inline config server_config() {
  config c;
  c.accept_connections = true;
  return c;
}

struct loopback {
  asio::io_context io;
  endpoint server;
  endpoint client;

  explicit loopback(config server_cfg = server_config(), config client_cfg = {})
      : server(io.get_executor(), {asio::ip::make_address("127.0.0.1"), 0}, server_cfg),
        client(io.get_executor(), {asio::ip::make_address("127.0.0.1"), 0}, client_cfg) {}

  connect_options pin() const {
    connect_options o;
    o.pinned_fingerprints = {server.fingerprint()};
    return o;
  }

  /// Runs `body` as a coroutine until it finishes (rethrowing what it threw),
  /// then closes both endpoints and drains the loop. Fails on a hang.
  template <class F>
  void run(F body, std::chrono::seconds bound = 120s) {
    std::exception_ptr error;
    bool done = false;
    asio::co_spawn(io, body(), [&](std::exception_ptr e) {
      error = e;
      done = true;
      server.close();
      client.close();
    });
    io.run_for(bound);
    REQUIRE_MESSAGE(done, "the scenario did not finish within the bound");
    if (error) std::rethrow_exception(error);
  }
};

/// Server: accepts `connections` connections and echoes every stream of
/// each back, then shuts the stream down.
inline asio::awaitable<void> echo_server(endpoint& ep, int connections = 1) {
  for (int i = 0; i < connections; ++i) {
    auto c = co_await ep.async_accept(use_awaitable);
    asio::co_spawn(
        ep.get_executor(),
        [c]() mutable -> asio::awaitable<void> {
          for (;;) {
            auto [ec, s] = co_await c.async_accept_stream(as_tuple);
            if (ec) co_return;
            asio::co_spawn(
                c.get_executor(),
                [s]() mutable -> asio::awaitable<void> {
                  std::vector<std::byte> buf(64 * 1024);
                  for (;;) {
                    auto [rec, n] = co_await s.async_read_some(asio::buffer(buf), as_tuple);
                    if (rec) break;
                    auto [wec, m] = co_await asio::async_write(s, asio::buffer(buf.data(), n), as_tuple);
                    if (wec) co_return;
                  }
                  s.shutdown_send();
                },
                asio::detached);
          }
        },
        asio::detached);
  }
}

/// Waits (polling the loop) until `done` holds.
inline asio::awaitable<void> wait_until(std::function<bool()> done) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  while (!done()) {
    t.expires_after(std::chrono::milliseconds(2));
    co_await t.async_wait(use_awaitable);
  }
}

/// Waits (polling the loop) until `done` holds or `bound` has passed;
/// returns done(). For what may never happen (an unreliable datagram), so
/// that a loss fails a check instead of hanging until the run's bound.
inline asio::awaitable<bool> wait_until(std::function<bool()> done, std::chrono::steady_clock::duration bound) {
  const auto until = std::chrono::steady_clock::now() + bound;
  asio::steady_timer t(co_await asio::this_coro::executor);
  while (!done() && std::chrono::steady_clock::now() < until) {
    t.expires_after(std::chrono::milliseconds(2));
    co_await t.async_wait(use_awaitable);
  }
  co_return done();
}

inline std::vector<std::byte> pattern(std::size_t n, std::uint64_t seed) {
  std::vector<std::byte> v(n);
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& b : v) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b = static_cast<std::byte>(x);
  }
  return v;
}

/// SHA-256 of `data`; a failure fails the test (CHECK: callers run inside
/// coroutines, where REQUIRE's exception would end up in Asio).
inline tern::crypto::sha256_digest sha256(std::span<const std::byte> data) {
  tern::crypto::sha256_digest out{};
  CHECK_FALSE(tern::crypto::sha256(data, out));
  return out;
}

/// Both sides' stats after a transfer.
struct transfer_stats {
  connection_stats client;
  connection_stats server;
};

/// Runs one connection from net.client to `to` (the server, or something
/// that relays to it): `bytes` go out on one stream, the server echoes them
/// and they must come back intact. `on_done` runs at the end of the scenario
/// (e.g. to close a relay so the loop can drain).
inline transfer_stats echo_transfer(loopback& net, const asio::ip::udp::endpoint& to, std::size_t bytes,
                                    std::function<void()> on_done = {}) {
  transfer_stats out;
  net.run([&]() -> asio::awaitable<void> {
    connection server_conn;
    asio::co_spawn(
        net.io,
        [&]() -> asio::awaitable<void> {
          server_conn = co_await net.server.async_accept(use_awaitable);
          auto s = co_await server_conn.async_accept_stream(use_awaitable);
          std::vector<std::byte> buf(64 * 1024);
          for (;;) {
            auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), as_tuple);
            if (ec) break;
            co_await asio::async_write(s, asio::buffer(buf.data(), n), use_awaitable);
          }
          s.shutdown_send();
        },
        asio::detached);
    auto c = co_await net.client.async_connect(to, net.pin(), use_awaitable);
    auto s = co_await c.async_open_stream(use_awaitable);
    const auto data = pattern(bytes, tern::test::seed());
    co_await asio::async_write(s, asio::buffer(data), use_awaitable);
    s.shutdown_send();
    std::vector<std::byte> back(bytes);
    const std::size_t n = co_await asio::async_read(s, asio::buffer(back), use_awaitable);
    CHECK(n == bytes);
    CHECK(back == data);
    out.client = c.stats();
    out.server = server_conn.stats();
    c.close();
    if (on_done) on_done();
  });
  return out;
}

} // namespace tern::test
