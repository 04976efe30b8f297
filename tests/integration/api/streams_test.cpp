// Streams over real loopback sockets: echo, many concurrent streams, a large
// transfer checked with SHA-256, and Asio's composed operations
// (async_read, async_write, async_read_until) on tern::byte_stream.

#include "fixture.hpp"

#include <asio/experimental/deferred.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/use_future.hpp>
#include <asio/write.hpp>

#include <cstring>

namespace tern::test {
namespace {

asio::awaitable<std::vector<std::byte>> round_trip(connection c, std::vector<std::byte> data) {
  auto s = co_await c.async_open_stream(use_awaitable);
  std::vector<std::byte> back;
  // Write and read concurrently: the echo may hold back more than one window.
  bool written = false;
  asio::co_spawn(
      c.get_executor(),
      [s, &data, &written]() mutable -> asio::awaitable<void> {
        co_await asio::async_write(s, asio::buffer(data), use_awaitable);
        s.shutdown_send();
        written = true;
      },
      asio::detached);
  auto [ec, n] = co_await asio::async_read(s, asio::dynamic_buffer(back), as_tuple);
  CHECK(ec == asio::error::eof);
  CHECK(written);
  co_return back;
}

TEST_CASE("a stream echoes bytes through a server, coroutines") {
  loopback net;
  net.run([&]() -> asio::awaitable<void> {
    asio::co_spawn(net.io, echo_server(net.server), asio::detached);
    auto c = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), use_awaitable);
    CHECK(c.is_open());
    CHECK(c.alpn() == "tern/1");
    CHECK(c.peer_fingerprint() == net.server.fingerprint());
    const auto data = pattern(100'000, 1);
    auto back = co_await round_trip(c, data);
    CHECK(back == data);
    const auto st = c.stats();
    CHECK(st.stream_bytes_sent >= data.size());
    CHECK(st.srtt > std::chrono::nanoseconds(0));
    c.close();
  });
}

TEST_CASE("fifty concurrent streams on one connection each arrive intact") {
  loopback net;
  net.run([&]() -> asio::awaitable<void> {
    asio::co_spawn(net.io, echo_server(net.server), asio::detached);
    auto c = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), use_awaitable);
    constexpr int streams = 50;
    int finished = 0;
    int intact = 0;
    for (int i = 0; i < streams; ++i) {
      asio::co_spawn(
          net.io,
          [&, i]() -> asio::awaitable<void> {
            const auto data = pattern(20'000 + 997 * static_cast<std::size_t>(i), 100 + static_cast<std::uint64_t>(i));
            auto back = co_await round_trip(c, data);
            if (back == data) ++intact;
            ++finished;
          },
          asio::detached);
    }
    asio::steady_timer t(net.io);
    while (finished < streams) {
      t.expires_after(5ms);
      co_await t.async_wait(use_awaitable);
    }
    CHECK(intact == streams);
    c.close();
  });
}

TEST_CASE("a 32 MiB transfer arrives with the same SHA-256") {
  loopback net;
  net.run([&]() -> asio::awaitable<void> {
    const auto data = pattern(32u << 20, tern::test::seed());
    const auto digest = sha256(data);
    tern::crypto::sha256_digest received_digest{};
    std::size_t received = 0;
    bool server_done = false;
    asio::co_spawn(
        net.io,
        [&]() -> asio::awaitable<void> {
          auto c = co_await net.server.async_accept(use_awaitable);
          auto s = co_await c.async_accept_stream(use_awaitable);
          tern::crypto::sha256_hasher hash;
          std::vector<std::byte> buf(256 * 1024);
          for (;;) {
            auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), as_tuple);
            if (ec) {
              CHECK(ec == asio::error::eof);
              break;
            }
            hash.update(std::span{buf}.first(n));
            received += n;
          }
          received_digest = hash.digest();
          server_done = true;
        },
        asio::detached);
    auto c = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), use_awaitable);
    auto s = co_await c.async_open_stream(use_awaitable);
    co_await asio::async_write(s, asio::buffer(data), use_awaitable);
    s.shutdown_send();
    asio::steady_timer t(net.io);
    while (!server_done) {
      t.expires_after(5ms);
      co_await t.async_wait(use_awaitable);
    }
    CHECK(received == data.size());
    CHECK(received_digest == digest);
    c.close();
  });
}

TEST_CASE("a reset stream fails the peer's read with stream_reset and its code") {
  loopback net;
  net.run([&]() -> asio::awaitable<void> {
    std::optional<std::uint64_t> code;
    std::error_code read_error;
    asio::co_spawn(
        net.io,
        [&]() -> asio::awaitable<void> {
          auto c = co_await net.server.async_accept(use_awaitable);
          auto s = co_await c.async_accept_stream(use_awaitable);
          CHECK_FALSE(s.reset_code());
          std::vector<std::byte> buf(1024);
          for (;;) {
            auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), as_tuple);
            if (ec) {
              read_error = ec;
              break;
            }
          }
          code = s.reset_code();
        },
        asio::detached);
    auto c = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), use_awaitable);
    auto s = co_await c.async_open_stream(use_awaitable);
    const auto data = pattern(1000, 3);
    co_await asio::async_write(s, asio::buffer(data), use_awaitable);
    s.reset(77);
    co_await wait_until([&] { return code.has_value(); });
    CHECK(read_error == errc::stream_reset);
    CHECK(code == std::optional<std::uint64_t>(77));
    c.close();
  });
}

TEST_CASE("async_read_until reads lines from a stream") {
  loopback net;
  net.run([&]() -> asio::awaitable<void> {
    asio::co_spawn(net.io, echo_server(net.server), asio::detached);
    auto c = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), use_awaitable);
    auto s = co_await c.async_open_stream(use_awaitable);
    const std::string text = "first line\nsecond line\nthird\n";
    co_await asio::async_write(s, asio::buffer(text), use_awaitable);
    std::string buf;
    std::vector<std::string> lines;
    for (int i = 0; i < 3; ++i) {
      const std::size_t n = co_await asio::async_read_until(s, asio::dynamic_buffer(buf), '\n', use_awaitable);
      lines.push_back(buf.substr(0, n - 1));
      buf.erase(0, n);
    }
    CHECK(lines == std::vector<std::string>{"first line", "second line", "third"});
    s.shutdown_send();
    auto [ec, n] = co_await asio::async_read(s, asio::dynamic_buffer(buf), as_tuple);
    CHECK(ec == asio::error::eof);
    CHECK(buf.empty());
    c.close();
  });
}

TEST_CASE("completion tokens: callbacks, deferred and use_future") {
  loopback net;
  std::error_code connect_error = asio::error::would_block;
  connection conn;
  byte_stream deferred_stream;
  const std::string msg = "deferred";
  std::string back;
  // The checks inside the chain below pass vacuously if it never completes:
  // these say it did.
  bool deferred_opened = false, deferred_read_done = false;
  asio::co_spawn(net.io, echo_server(net.server), asio::detached);
  // A plain callback.
  net.client.async_connect(net.server.local_endpoint(), net.pin(), [&](std::error_code ec, connection c) {
    connect_error = ec;
    conn = std::move(c);
    // asio::experimental::deferred: nothing starts until the deferred operation is invoked.
    auto op = conn.async_open_stream(asio::experimental::deferred);
    std::move(op)([&](std::error_code oec, byte_stream s) {
      REQUIRE_FALSE(oec);
      deferred_opened = true;
      // Composed operations keep a reference to the stream object: it must
      // outlive them, like an Asio socket.
      deferred_stream = s;
      asio::async_write(deferred_stream, asio::buffer(msg), [&](std::error_code, std::size_t) {
        deferred_stream.shutdown_send();
      });
      asio::async_read(deferred_stream, asio::dynamic_buffer(back), [&](std::error_code rec, std::size_t) {
        CHECK(rec == asio::error::eof);
        CHECK(back == msg);
        deferred_read_done = true;
        net.io.stop();
      });
    });
  });
  net.io.run_for(60s);
  CHECK_FALSE(connect_error);
  REQUIRE(conn);
  CHECK(deferred_opened);
  CHECK(deferred_read_done);
  CHECK(back == msg);

  // asio::use_future, with the loop on another thread (the future is the
  // only thing this thread touches).
  net.io.restart();
  auto guard = asio::make_work_guard(net.io);
  std::thread runner([&] { net.io.run_for(60s); });
  std::future<byte_stream> fut;
  asio::post(net.io, [&] { fut = conn.async_open_stream(asio::use_future); });
  // Wait until the post ran, through another future.
  std::promise<void> posted;
  asio::post(net.io, [&] { posted.set_value(); });
  posted.get_future().wait();
  auto s = fut.get();
  CHECK(s);
  CHECK((s.id() & 3) == 0); // client-initiated bidirectional
  asio::post(net.io, [&] {
    conn.close();
    net.server.close();
    net.client.close();
    guard.reset();
  });
  runner.join();
}

} // namespace
} // namespace tern::test
