// config::require_address_validation over loopback: a client follows the
// server's Retry and transfers data; a flood of token-less Initials from
// many source addresses creates no connection and gets at most one Retry
// per Initial, none larger than the Initial; forged tokens get nothing; the
// NEW_TOKEN token of a first connection lets a second one skip the Retry.

#include "fixture.hpp"

#include "wire/header.hpp"

#include <asio/ip/udp.hpp>
#include <asio/read.hpp>

namespace tern::test {
namespace {

config validating_server() {
  config c = server_config();
  c.require_address_validation = true;
  return c;
}

/// A full-size Initial with a random DCID and `token`, frames replaced by zeros.
std::vector<std::byte> fake_initial(std::uint64_t seed, std::span<const std::byte> token) {
  const auto ids = pattern(16, seed);
  wire::packet_header h;
  h.type = wire::packet_type::initial;
  REQUIRE_FALSE(wire::connection_id::from_bytes(std::span(ids).first(8), h.dcid));
  REQUIRE_FALSE(wire::connection_id::from_bytes(std::span(ids).subspan(8), h.scid));
  h.token = token;
  std::vector<std::byte> out(1200);
  wire::writer w(out);
  const std::size_t payload = 1200 - wire::encoded_header_size(h, 0, 2);
  REQUIRE_FALSE(wire::encode_header(w, h, payload, 2));
  return out;
}

TEST_CASE("address validation: a client follows the Retry and transfers data") {
  loopback net(validating_server());
  net.run([&]() -> asio::awaitable<void> {
    asio::co_spawn(net.io, echo_server(net.server), asio::detached);
    auto c = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), use_awaitable);
    REQUIRE(c.is_open());
    const auto data = pattern(300'000, 7);
    auto s = co_await c.async_open_stream(use_awaitable);
    // Write and read concurrently: the echo may hold back more than one window.
    asio::co_spawn(
        c.get_executor(),
        [s, &data]() mutable -> asio::awaitable<void> {
          co_await asio::async_write(s, asio::buffer(data), use_awaitable);
          s.shutdown_send();
        },
        asio::detached);
    std::vector<std::byte> back;
    auto [ec, n] = co_await asio::async_read(s, asio::dynamic_buffer(back), as_tuple);
    CHECK(ec == asio::error::eof);
    CHECK(sha256(back) == sha256(data));
    CHECK(net.server.info().retries_sent == 1);
    c.close();
  });
}

TEST_CASE("address validation: the NEW_TOKEN token of one connection spares the next one the Retry") {
  loopback net(validating_server());
  net.run([&]() -> asio::awaitable<void> {
    asio::co_spawn(net.io, echo_server(net.server, 3), asio::detached);
    auto first = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), use_awaitable);
    REQUIRE(first.is_open());
    co_await wait_until([&] { return !first.address_token().empty(); });
    const auto token = first.address_token();
    first.close();
    CHECK(net.server.info().retries_sent == 1);

    auto options = net.pin();
    options.address_token = token;
    auto second = co_await net.client.async_connect(net.server.local_endpoint(), options, use_awaitable);
    REQUIRE(second.is_open());
    CHECK(net.server.info().retries_sent == 1); // none for the second connection
    auto s = co_await second.async_open_stream(use_awaitable);
    const auto data = pattern(20'000, 8);
    co_await asio::async_write(s, asio::buffer(data), use_awaitable);
    s.shutdown_send();
    std::vector<std::byte> back;
    auto [ec, n] = co_await asio::async_read(s, asio::dynamic_buffer(back), as_tuple);
    CHECK(ec == asio::error::eof);
    CHECK(back == data);
    // A token the server never issued only costs the Retry.
    options.address_token = pattern(42, 9);
    options.address_token[0] = std::byte{0x02};
    auto third = co_await net.client.async_connect(net.server.local_endpoint(), options, use_awaitable);
    CHECK(third.is_open());
    CHECK(net.server.info().retries_sent == 2);
    second.close();
    third.close();
  });
}

TEST_CASE("address validation: a flood of Initials from many addresses creates no connection") {
  loopback net(validating_server());
  constexpr int sources = 20;
  constexpr int per_source = 5;
  std::vector<asio::ip::udp::socket> socks;
  for (int i = 0; i < sources; ++i) {
    socks.emplace_back(net.io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    socks.back().non_blocking(true);
  }
  std::size_t replies = 0;
  std::size_t largest_reply = 0;
  std::size_t forged_sent = 0;
  net.run([&]() -> asio::awaitable<void> {
    const auto to = net.server.local_endpoint();
    for (int i = 0; i < sources; ++i)
      for (int k = 0; k < per_source; ++k) socks[i].send_to(asio::buffer(fake_initial(i * 100 + k, {})), to);
    // Forged tokens of the right shape: dropped without an answer.
    std::vector<std::byte> forged = pattern(41 + 1 + 8, 99);
    forged[41] = std::byte{8};
    for (int k = 0; k < 10; ++k, ++forged_sent) socks[0].send_to(asio::buffer(fake_initial(5000 + k, forged)), to);
    std::vector<std::byte> buf(2048);
    co_await wait_until([&] {
      for (auto& s : socks) {
        asio::error_code ec;
        asio::ip::udp::endpoint from;
        for (;;) {
          const std::size_t n = s.receive_from(asio::buffer(buf), from, 0, ec);
          if (ec) break;
          ++replies;
          largest_reply = std::max(largest_reply, n);
          wire::decoded_header h;
          CHECK_FALSE(wire::decode_header(std::span(buf).first(n), 8, h));
          CHECK(h.header.type == wire::packet_type::retry);
        }
      }
      return replies >= sources * per_source &&
             net.server.info().datagrams_received >= sources * per_source + forged_sent;
    });
    CHECK(net.server.info().connections == 0);
    CHECK(net.server.info().retries_sent == sources * per_source);
    CHECK(net.server.info().half_open == 0);
    co_await wait_until([&] { return net.server.info().initials_refused == forged_sent; });
    co_return;
  }, 30s);
  CHECK(replies == sources * per_source); // one Retry per token-less Initial, none for forged tokens
  CHECK(largest_reply > 0);
  CHECK(largest_reply < 1200);
}

} // namespace
} // namespace tern::test
