// Unreliable datagrams and deadline messages over loopback.

#include "fixture.hpp"

namespace tern::test {
namespace {

TEST_CASE("datagrams arrive whole and in the order sent on a clean loopback") {
  loopback net;
  net.run([&]() -> asio::awaitable<void> {
    std::vector<std::string> got;
    bool receiver_done = false;
    asio::co_spawn(
        net.io,
        [&]() -> asio::awaitable<void> {
          auto c = co_await net.server.async_accept(use_awaitable);
          std::array<char, 2048> buf;
          for (int i = 0; i < 20; ++i) {
            const std::size_t n = co_await c.async_receive_datagram(asio::buffer(buf), use_awaitable);
            got.emplace_back(buf.data(), n);
          }
          receiver_done = true;
        },
        asio::detached);
    auto c = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), use_awaitable);
    for (int i = 0; i < 20; ++i) {
      const std::string d = "audio frame " + std::to_string(i);
      co_await c.async_send_datagram(asio::buffer(d), use_awaitable);
    }
    co_await wait_until([&] { return receiver_done; });
    REQUIRE(got.size() == 20);
    // Loopback neither drops nor reorders here, so every one arrives.
    for (int i = 0; i < 20; ++i) CHECK(got[static_cast<std::size_t>(i)] == "audio frame " + std::to_string(i));
    c.close();
  });
}

TEST_CASE("deadline messages are delivered whole and in id order") {
  loopback net;
  net.run([&]() -> asio::awaitable<void> {
    std::vector<received_message> got;
    asio::co_spawn(
        net.io,
        [&]() -> asio::awaitable<void> {
          auto c = co_await net.server.async_accept(use_awaitable);
          for (int i = 0; i < 10; ++i) got.push_back(co_await c.async_receive_message(use_awaitable));
        },
        asio::detached);
    auto c = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), use_awaitable);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    std::vector<std::vector<std::byte>> sent;
    for (int i = 0; i < 10; ++i) {
      sent.push_back(pattern(5000 + 3000 * static_cast<std::size_t>(i), static_cast<std::uint64_t>(i))); // spans packets
      const std::uint64_t id = co_await c.async_send_message(asio::buffer(sent.back()), deadline, use_awaitable);
      CHECK(id == static_cast<std::uint64_t>(i));
    }
    co_await wait_until([&] { return got.size() == 10; });
    for (std::size_t i = 0; i < 10; ++i) {
      CHECK_FALSE(got[i].dropped);
      CHECK(got[i].id == i);
      CHECK(got[i].data == sent[i]);
    }
    c.close();
  });
}

TEST_CASE("a message whose deadline has passed is refused") {
  loopback net;
  net.run([&]() -> asio::awaitable<void> {
    asio::co_spawn(net.io, [&]() -> asio::awaitable<void> { co_await net.server.async_accept(use_awaitable); },
                   asio::detached);
    auto c = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), use_awaitable);
    const std::string m = "too late";
    auto [ec, id] = co_await c.async_send_message(asio::buffer(m), std::chrono::steady_clock::now() - 1s, as_tuple);
    CHECK(ec == errc::deadline_passed);
    std::error_code sync_ec;
    c.send_datagram(asio::buffer(std::vector<char>(70000)), std::chrono::steady_clock::time_point::max(), sync_ec);
    CHECK(sync_ec == errc::message_too_large);
    CHECK_THROWS_AS(c.send_datagram(asio::buffer(std::vector<char>(70000))), std::system_error);
    c.close();
  });
}

} // namespace
} // namespace tern::test
