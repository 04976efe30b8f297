// Path MTU discovery on a real socket: loopback carries far more than
// config::max_datagram_size, so the search must end there after one probe,
// and a connection configured without room to grow must never probe.

#include "fixture.hpp"

#include <asio/read.hpp>

namespace tern::test {
namespace {

// Echoes `bytes` over one stream and returns the client's stats afterwards.
connection_stats echo_and_stats(loopback& net, std::size_t bytes, connection_stats& server_stats) {
  connection_stats out;
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
    auto c = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), use_awaitable);
    auto s = co_await c.async_open_stream(use_awaitable);
    const auto data = pattern(bytes, tern::test::seed());
    co_await asio::async_write(s, asio::buffer(data), use_awaitable);
    s.shutdown_send();
    std::vector<std::byte> back(bytes);
    const std::size_t n = co_await asio::async_read(s, asio::buffer(back), use_awaitable);
    CHECK(n == bytes);
    CHECK(back == data);
    out = c.stats();
    server_stats = server_conn.stats();
    c.close();
  });
  return out;
}

TEST_CASE("path mtu on loopback: connections grow to max_datagram_size after one probe each") {
  loopback net;
  connection_stats server{};
  const auto client = echo_and_stats(net, 400'000, server);
  CHECK(client.datagram_size == 1452);
  CHECK(client.mtu_probes_sent == 1);
  CHECK(client.mtu_probes_lost == 0);
  CHECK(server.datagram_size == 1452);
  CHECK(server.mtu_probes_sent == 1);
}

TEST_CASE("path mtu on loopback: a larger configured maximum is found as well") {
  config sc = server_config();
  sc.max_datagram_size = 8000;
  config cc;
  cc.max_datagram_size = 8000;
  loopback net(sc, cc);
  connection_stats server{};
  const auto client = echo_and_stats(net, 400'000, server);
  CHECK(client.datagram_size == 8000);
  CHECK(server.datagram_size == 8000);
}

TEST_CASE("path mtu on loopback: max_datagram_size equal to the initial size disables probing") {
  config sc = server_config();
  sc.max_datagram_size = 1200;
  config cc;
  cc.max_datagram_size = 1200;
  loopback net(sc, cc);
  connection_stats server{};
  const auto client = echo_and_stats(net, 100'000, server);
  CHECK(client.datagram_size == 1200);
  CHECK(client.mtu_probes_sent == 0);
  CHECK(server.mtu_probes_sent == 0);
}

} // namespace
} // namespace tern::test
