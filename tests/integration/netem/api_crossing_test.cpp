// The public API across tools/tern-netem: real sockets, the relay's netem
// model in real time (loss, reordering, duplication) and a NAT rebinding in
// the middle of a transfer. Bounds are generous; nothing asserts speed.

#include "integration/api/fixture.hpp"
#include "integration/netem/relay_process.hpp"

#include <asio/read.hpp>
#include <asio/write.hpp>

namespace tern::test {
namespace {

using netem::test::relay_process;

struct crossing_result {
  bool intact = false;
  connection_stats client_stats;
};

// Sends `bytes` through the relay on one stream and reads the echo back.
crossing_result cross(const std::vector<std::string>& relay_extra, std::size_t bytes) {
  loopback net;
  std::vector<std::string> args{"--listen", "127.0.0.1:0", "--connect",
                                "127.0.0.1:" + std::to_string(net.server.local_endpoint().port())};
  args.insert(args.end(), relay_extra.begin(), relay_extra.end());
  relay_process relay(args);
  REQUIRE_MESSAGE(relay.port() != 0, relay.err());
  crossing_result result;
  net.run([&]() -> asio::awaitable<void> {
    asio::co_spawn(net.io, echo_server(net.server), asio::detached);
    const asio::ip::udp::endpoint via{asio::ip::make_address("127.0.0.1"), relay.port()};
    auto c = co_await net.client.async_connect(via, net.pin(), use_awaitable);
    auto s = co_await c.async_open_stream(use_awaitable);
    const auto data = pattern(bytes, seed());
    std::vector<std::byte> back;
    asio::co_spawn(
        net.io,
        [s, &data]() mutable -> asio::awaitable<void> {
          co_await asio::async_write(s, asio::buffer(data), use_awaitable);
          s.shutdown_send();
        },
        asio::detached);
    auto [ec, n] = co_await asio::async_read(s, asio::dynamic_buffer(back), as_tuple);
    CHECK(ec == asio::error::eof);
    result.intact = back.size() == data.size() && sha256(back) == sha256(data);
    result.client_stats = c.stats();
    c.close();
  });
  CHECK(relay.terminate() == 0);
  return result;
}

} // namespace

TEST_CASE("a stream crosses tern-netem intact through 5% loss both ways") {
  const auto r = cross({"--up", "delay 5ms loss 5%", "--down", "delay 5ms loss 5%"}, 2 << 20);
  CHECK(r.intact);
  CHECK(r.client_stats.packets_lost > 0);
}

TEST_CASE("a stream crosses tern-netem intact through reordering and duplication") {
  const auto r = cross({"--up", "delay 10ms reorder 25% 50% duplicate 5%", "--down", "delay 10ms reorder 25% 50%"},
                       2 << 20);
  CHECK(r.intact);
}

TEST_CASE("a NAT rebinding mid-transfer: the server follows the new address and the stream stays intact") {
  loopback net;
  relay_process relay({"--listen", "127.0.0.1:0", "--connect",
                       "127.0.0.1:" + std::to_string(net.server.local_endpoint().port()), "--up", "delay 5ms",
                       "--down", "delay 5ms", "--rebind-after", "400ms"});
  REQUIRE_MESSAGE(relay.port() != 0, relay.err());
  std::uint64_t server_path_changes = 0;
  bool intact = false;
  net.run([&]() -> asio::awaitable<void> {
    connection accepted;
    asio::co_spawn(
        net.io,
        [&]() -> asio::awaitable<void> {
          accepted = co_await net.server.async_accept(use_awaitable);
          auto s = co_await accepted.async_accept_stream(use_awaitable);
          std::vector<std::byte> buf(64 * 1024);
          for (;;) {
            auto [rec, n] = co_await s.async_read_some(asio::buffer(buf), as_tuple);
            if (rec) break;
            co_await asio::async_write(s, asio::buffer(buf.data(), n), use_awaitable);
          }
          s.shutdown_send();
        },
        asio::detached);
    const asio::ip::udp::endpoint via{asio::ip::make_address("127.0.0.1"), relay.port()};
    auto c = co_await net.client.async_connect(via, net.pin(), use_awaitable);
    auto s = co_await c.async_open_stream(use_awaitable);
    // Paced writes keep the transfer going across the rebinding at 400 ms.
    const auto data = pattern(4 << 20, seed());
    std::vector<std::byte> back;
    asio::co_spawn(
        net.io,
        [s, &data]() mutable -> asio::awaitable<void> {
          asio::steady_timer t(co_await asio::this_coro::executor);
          for (std::size_t off = 0; off < data.size(); off += 64 * 1024) {
            co_await asio::async_write(s, asio::buffer(data.data() + off, std::min<std::size_t>(64 * 1024, data.size() - off)),
                                       use_awaitable);
            t.expires_after(10ms);
            co_await t.async_wait(use_awaitable);
          }
          s.shutdown_send();
        },
        asio::detached);
    auto [ec, n] = co_await asio::async_read(s, asio::dynamic_buffer(back), as_tuple);
    CHECK(ec == asio::error::eof);
    intact = back == data;
    server_path_changes = accepted.stats().path_changes;
    c.close();
  });
  CHECK(intact);
  CHECK(server_path_changes >= 1);
  CHECK(relay.terminate() == 0);
  CHECK(relay.err().find("rebinds 1") != std::string::npos);
}

} // namespace tern::test
