// connection::async_wait_target_rate on loopback: it completes with the
// target rate once acknowledged data gives one (at once if one was reported
// before the wait; stats() then shows a value too), a cancelled wait completes with operation_aborted and leaves
// the connection usable, and a close completes a parked wait with an error.

#include "fixture.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>

using namespace tern;
using namespace tern::test;

TEST_CASE("async_wait_target_rate completes with the target rate once data is acknowledged") {
  loopback net;
  net.run([&]() -> asio::awaitable<void> {
    asio::co_spawn(net.io, echo_server(net.server), asio::detached);
    auto c = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), use_awaitable);
    std::uint64_t got = 0;
    bool completed = false;
    std::error_code wait_ec;
    c.async_wait_target_rate([&](std::error_code ec, std::uint64_t rate) {
      wait_ec = ec;
      got = rate;
      completed = true;
    });
    auto s = co_await c.async_open_stream(use_awaitable);
    const auto data = pattern(512 * 1024, seed());
    co_await asio::async_write(s, asio::buffer(data), use_awaitable);
    // co_await outside the check macros: GCC 12 miscompiles it inside them.
    const bool in_time = co_await wait_until([&] { return completed; }, 20s);
    CHECK(in_time);
    CHECK_FALSE(wait_ec);
    CHECK(got > 0);
    CHECK(c.stats().target_rate > 0);
    c.close();
  });
}

TEST_CASE("a cancelled async_wait_target_rate completes with operation_aborted, and close fails a parked one") {
  loopback net;
  net.run([&]() -> asio::awaitable<void> {
    asio::co_spawn(net.io, echo_server(net.server), asio::detached);
    auto c = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), use_awaitable);
    // The first wait returns the first reported value; the next one parks.
    auto s = co_await c.async_open_stream(use_awaitable);
    const auto data = pattern(64 * 1024, seed());
    co_await asio::async_write(s, asio::buffer(data), use_awaitable);
    const std::uint64_t first_rate = co_await c.async_wait_target_rate(use_awaitable);
    CHECK(first_rate > 0);
    asio::cancellation_signal cancel;
    std::error_code first = make_error_code(errc::connection_closed), second;
    bool first_done = false, second_done = false;
    c.async_wait_target_rate(asio::bind_cancellation_slot(cancel.slot(), [&](std::error_code ec, std::uint64_t) {
      first = ec;
      first_done = true;
    }));
    cancel.emit(asio::cancellation_type::all);
    co_await wait_until([&] { return first_done; });
    CHECK(first == asio::error::operation_aborted);
    CHECK(c.is_open());
    c.async_wait_target_rate([&](std::error_code ec, std::uint64_t) {
      second = ec;
      second_done = true;
    });
    c.close();
    co_await wait_until([&] { return second_done; });
    CHECK(second);
  });
}
