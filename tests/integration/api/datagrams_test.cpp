// Unreliable datagrams and deadline messages over loopback.

#include "fixture.hpp"

#include <array>
#include <optional>

namespace tern::test {
namespace {

// What this proves: datagrams are not reassembled, reordered, duplicated or
// altered on the way: each that arrives is one that was sent, whole, and
// they arrive in the order sent (one socket each way, a FIFO send queue,
// loopback keeps order). Datagrams are unreliable, so nothing promises that
// each arrives, even on loopback (a receive buffer that overflows while a
// loaded machine starves the receiver drops one): the test waits a bounded
// 10 s for all of them - loopback takes microseconds, so only a drop runs
// out the wait - and asks that at least one arrived, a failure with a
// message rather than a hang until the run's bound.
TEST_CASE("datagrams arrive whole, at most once and in the order sent on loopback") {
  constexpr std::size_t sent_count = 20;
  loopback net;
  std::vector<std::string> got;
  net.run([&]() -> asio::awaitable<void> {
    asio::co_spawn(
        net.io,
        [&]() -> asio::awaitable<void> {
          auto c = co_await net.server.async_accept(use_awaitable);
          std::array<char, 2048> buf;
          while (got.size() < sent_count) {
            auto [ec, n] = co_await c.async_receive_datagram(asio::buffer(buf), as_tuple);
            if (ec) co_return;
            got.emplace_back(buf.data(), n);
          }
        },
        asio::detached);
    auto c = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), use_awaitable);
    for (std::size_t i = 0; i < sent_count; ++i) {
      const std::string d = "audio frame " + std::to_string(i);
      co_await c.async_send_datagram(asio::buffer(d), use_awaitable);
    }
    co_await wait_until([&] { return got.size() == sent_count; }, 10s);
    c.close();
  });
  MESSAGE(got.size() << " of " << sent_count << " datagrams arrived");
  REQUIRE_MESSAGE(!got.empty(), "none of " << sent_count << " datagrams arrived within 10 s");
  int previous = -1;
  for (const auto& d : got) {
    CAPTURE(d);
    const std::string prefix = "audio frame ";
    REQUIRE(d.rfind(prefix, 0) == 0);
    const int index = std::stoi(d.substr(prefix.size()));
    CHECK(d == prefix + std::to_string(index)); // whole: nothing appended or cut
    CHECK(index > previous);                    // in order, none twice
    CHECK(index < static_cast<int>(sent_count));
    previous = index;
  }
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


TEST_CASE("message flows: ids count per flow, options reach the receiver, bad flows are refused") {
  loopback net;
  net.run([&]() -> asio::awaitable<void> {
    std::vector<received_message> got;
    asio::co_spawn(
        net.io,
        [&]() -> asio::awaitable<void> {
          auto c = co_await net.server.async_accept(use_awaitable);
          for (int i = 0; i < 6; ++i) got.push_back(co_await c.async_receive_message(use_awaitable));
        },
        asio::detached);
    auto c = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), use_awaitable);
    c.configure_message_flow(1, {.ordered = true, .priority = 0, .redundant = true});
    c.configure_message_flow(2, {.ordered = false, .priority = 2, .weight = 32});
    std::error_code ec;
    c.configure_message_flow(tern::max_message_flows, {}, ec);
    CHECK(ec == std::errc::invalid_argument);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    const auto audio = pattern(160, 1), video = pattern(9000, 2);
    for (int i = 0; i < 3; ++i) {
      CHECK(co_await c.async_send_message(asio::buffer(audio), deadline, {.flow = 1}, use_awaitable) ==
            static_cast<std::uint64_t>(i));
      CHECK(c.send_message(asio::buffer(video), deadline, {.flow = 2, .depends_on = i == 0 ? std::nullopt
                                                                            : std::optional<std::uint64_t>(i - 1)}) ==
            static_cast<std::uint64_t>(i));
    }
    auto [bad, id] = co_await c.async_send_message(asio::buffer(audio), deadline, {.flow = 1, .depends_on = 7},
                                                   as_tuple);
    CHECK(bad == std::errc::invalid_argument);
    co_await wait_until([&] { return got.size() == 6; });
    std::array<std::uint64_t, 3> next{};
    for (const auto& m : got) {
      CHECK_FALSE(m.dropped);
      CHECK(m.reason == tern::message_drop_reason::none);
      REQUIRE((m.flow == 1 || m.flow == 2));
      CHECK(m.data == (m.flow == 1 ? audio : video));
      if (m.flow == 1) CHECK(m.id == next[1]++); // ordered flow: in id order
      if (m.flow == 2) ++next[2];
    }
    CHECK(next[1] == 3);
    CHECK(next[2] == 3);
    c.close();
  });
}

} // namespace
} // namespace tern::test
