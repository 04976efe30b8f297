// 0-RTT through the Asio API over loopback (docs/api.md, "Resumption and
// 0-RTT"): with connect_options::early_data and a ticket, async_connect
// completes before the handshake, a stream opened with allow_early sends
// in the first flight and one without waits, the server hands the
// connection out once it accepted the early data, and async_wait_handshake
// completes with the handshake. Timing is the sans-IO tests' business
// (tests/unit/core/connection_resumption_test.cpp, virtual time); here the
// API's states and the bytes.

#include "fixture.hpp"

#include <asio/read.hpp>
#include <asio/write.hpp>

#include <array>

#include <map>

namespace tern::test {
namespace {

config resuming_server() {
  config c = server_config();
  c.session_tickets = true;
  c.accept_early_data = true;
  return c;
}

config resuming_client() {
  config c;
  c.session_tickets = true;
  return c;
}

/// What the server saw of each connection when async_accept handed it out.
struct accepted {
  connection conn;
  bool handshake_complete_at_accept = false;
};

/// Accepts connections forever and echoes every unidirectional stream back
/// on a new unidirectional stream of its own (so the client can tell the
/// answers apart), recording each connection.
asio::awaitable<void> recording_echo_server(endpoint& ep, std::vector<accepted>& seen) {
  for (;;) {
    auto [aec, c] = co_await ep.async_accept(as_tuple);
    if (aec) co_return;
    seen.push_back({c, c.handshake_complete()});
    asio::co_spawn(
        ep.get_executor(),
        [c]() mutable -> asio::awaitable<void> {
          for (;;) {
            auto [ec, in] = co_await c.async_accept_stream(true, as_tuple);
            if (ec) co_return;
            std::vector<std::byte> got;
            auto [rec, n] = co_await asio::async_read(in, asio::dynamic_buffer(got), as_tuple);
            if (rec != asio::error::eof) co_return;
            auto [oec, out] = co_await c.async_open_stream(true, as_tuple);
            if (oec) co_return;
            co_await asio::async_write(out, asio::buffer(got), as_tuple);
            out.shutdown_send();
          }
        },
        asio::detached);
  }
}

/// Writes `data` on a new unidirectional stream opened with `options`.
asio::awaitable<void> send_on_stream(connection c, stream_options options, std::vector<std::byte> data) {
  options.unidirectional = true;
  auto s = co_await c.async_open_stream(options, use_awaitable);
  co_await asio::async_write(s, asio::buffer(data), use_awaitable);
  s.shutdown_send();
}

/// The next echoed stream, read to its end.
asio::awaitable<std::vector<std::byte>> next_answer(connection c) {
  auto s = co_await c.async_accept_stream(true, use_awaitable);
  std::vector<std::byte> got;
  auto [ec, n] = co_await asio::async_read(s, asio::dynamic_buffer(got), as_tuple);
  CHECK(ec == asio::error::eof);
  co_return got;
}

/// A first connection's ticket.
asio::awaitable<std::vector<std::byte>> ticket_from(loopback& net) {
  auto first = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), use_awaitable);
  co_await wait_until([&] { return !first.session_ticket().empty(); });
  auto ticket = first.session_ticket();
  first.close();
  co_return ticket;
}

/// Starts the recording echo server, takes a first connection's ticket and
/// connects again with it and connect_options::early_data.
asio::awaitable<connection> connect_with_early_data(loopback& net, std::vector<accepted>& seen) {
  asio::co_spawn(net.io, recording_echo_server(net.server, seen), asio::detached);
  auto options = net.pin();
  options.session_ticket = co_await ticket_from(net);
  options.early_data = true;
  co_return co_await net.client.async_connect(net.server.local_endpoint(), options, use_awaitable);
}

} // namespace

TEST_CASE("early data (Asio): async_connect completes before the handshake, allowed streams go early, "
          "the rest waits, async_wait_handshake completes with the handshake") {
  loopback net(resuming_server(), resuming_client());
  std::vector<accepted> seen;
  net.run([&]() -> asio::awaitable<void> {
    auto c = co_await connect_with_early_data(net, seen);
    // Completed as soon as 0-RTT could be sent: nothing came back yet.
    CHECK_FALSE(c.handshake_complete());
    CHECK_FALSE(c.early_data_accepted());
    const auto early = pattern(3000, 31);
    const auto late = pattern(5000, 32);
    co_await send_on_stream(c, stream_options{.allow_early = true}, early);
    co_await send_on_stream(c, stream_options{}, late);
    co_await c.async_wait_handshake(use_awaitable);
    CHECK(c.handshake_complete());
    CHECK(c.resumed());
    CHECK(c.early_data_accepted());
    // Both arrive whole, each once (the server echoes each stream once).
    std::vector<std::vector<std::byte>> answers;
    answers.push_back(co_await next_answer(c));
    answers.push_back(co_await next_answer(c));
    CHECK(std::count(answers.begin(), answers.end(), early) == 1);
    CHECK(std::count(answers.begin(), answers.end(), late) == 1);
    REQUIRE(seen.size() == 2);
    CHECK(seen[1].conn.early_data_accepted());
    CHECK(seen[1].conn.resumed());
    // Awaiting the handshake after it completed completes at once.
    co_await c.async_wait_handshake(use_awaitable);
    c.close();
  });
}

TEST_CASE("early data (Asio): a request written at once leaves with the Initial, in one datagram") {
  // The early connection goes to a plain UDP socket that never answers, so
  // every datagram the client sends is its first flight. The application
  // opens its early stream and writes as soon as async_connect completes;
  // the endpoint's first flush must wait for that write (it used to send
  // the Initial alone, then the request in a second datagram).
  loopback net(resuming_server(), resuming_client());
  net.run([&]() -> asio::awaitable<void> {
    auto options = net.pin();
    options.session_ticket = co_await ticket_from(net);
    options.early_data = true;
    asio::ip::udp::socket silent(net.io, {asio::ip::make_address("127.0.0.1"), 0});
    // The first connection's close has gone out once its flush ran.
    for (int i = 0; i < 10; ++i) co_await asio::post(net.io, use_awaitable);
    const auto sent_before = net.client.info().datagrams_sent;
    auto c = co_await net.client.async_connect(silent.local_endpoint(), options, use_awaitable);
    REQUIRE_FALSE(c.handshake_complete());
    auto s = co_await c.async_open_stream(stream_options{.allow_early = true}, use_awaitable);
    const auto request = pattern(100, 35);
    co_await asio::async_write(s, asio::buffer(request), use_awaitable);
    std::array<std::byte, 2048> datagram{};
    asio::ip::udp::endpoint from;
    const std::size_t size = co_await silent.async_receive_from(asio::buffer(datagram), from, use_awaitable);
    CHECK(size >= 1200); // a client's Initial datagram is padded
    // The flushes of the connect and of the write are posted handlers: a
    // few turns of the loop and both have run (a resend is a PTO away).
    for (int i = 0; i < 10; ++i) co_await asio::post(net.io, use_awaitable);
    CHECK(net.client.info().datagrams_sent - sent_before == 1);
    c.close();
  });
}

TEST_CASE("early data (Asio): no stream allowed early sends nothing early, the data goes after the handshake") {
  loopback net(resuming_server(), resuming_client());
  std::vector<accepted> seen;
  net.run([&]() -> asio::awaitable<void> {
    auto c = co_await connect_with_early_data(net, seen);
    const auto data = pattern(2000, 33);
    co_await send_on_stream(c, stream_options{}, data);
    CHECK(co_await next_answer(c) == data);
    co_await c.async_wait_handshake(use_awaitable);
    CHECK(c.resumed());
    CHECK_FALSE(c.early_data_accepted()); // nothing went early
    c.close();
  });
}

TEST_CASE("early data (Asio): without a ticket, early_data changes nothing: async_connect completes after the "
          "handshake") {
  loopback net(resuming_server(), resuming_client());
  std::vector<accepted> seen;
  net.run([&]() -> asio::awaitable<void> {
    asio::co_spawn(net.io, recording_echo_server(net.server, seen), asio::detached);
    auto options = net.pin();
    options.early_data = true;
    auto c = co_await net.client.async_connect(net.server.local_endpoint(), options, use_awaitable);
    CHECK(c.handshake_complete());
    CHECK(c.is_open());
    const auto data = pattern(1000, 34);
    co_await send_on_stream(c, stream_options{.allow_early = true}, data);
    CHECK(co_await next_answer(c) == data);
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].handshake_complete_at_accept);
    CHECK_FALSE(c.resumed());
    c.close();
  });
}

TEST_CASE("early data (Asio): a message flow allowed early goes in the first flight, another flow after the "
          "handshake, each message delivered once") {
  loopback net(resuming_server(), resuming_client());
  net.run([&]() -> asio::awaitable<void> {
    auto options = net.pin();
    options.session_ticket = co_await ticket_from(net);
    options.early_data = true;
    auto c = co_await net.client.async_connect(net.server.local_endpoint(), options, use_awaitable);
    CHECK_FALSE(c.handshake_complete());
    c.configure_message_flow(1, message_flow_options{.allow_early = true});
    const auto early = pattern(1500, 35);
    const auto late = pattern(700, 36);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    message_options on_early_flow, on_late_flow;
    on_early_flow.flow = 1;
    on_late_flow.flow = 2;
    c.send_message(asio::buffer(early), deadline, on_early_flow);
    c.send_message(asio::buffer(late), deadline, on_late_flow);
    // The first connection (the ticket's) may wait in the accept queue; the
    // resumed one is handed out before its handshake completes, so it is
    // told apart by its accepted early data (resumed() follows the handshake).
    auto s = co_await net.server.async_accept(use_awaitable);
    while (!s.early_data_accepted()) s = co_await net.server.async_accept(use_awaitable);
    std::map<std::uint8_t, std::vector<std::vector<std::byte>>> got;
    for (int i = 0; i < 2; ++i) {
      auto m = co_await s.async_receive_message(use_awaitable);
      CHECK_FALSE(m.dropped);
      got[m.flow].push_back(m.data);
    }
    CHECK(got[1] == std::vector<std::vector<std::byte>>{early});
    CHECK(got[2] == std::vector<std::vector<std::byte>>{late});
    CHECK(s.early_data_accepted());
    // Only the early flow's fragments came in 0-RTT packets (1500 bytes:
    // one or two fragments, however the first datagram was filled).
    CHECK(s.stats().early_message_fragments_received >= 1);
    CHECK(s.stats().early_message_fragments_received <= 2);
    co_await c.async_wait_handshake(use_awaitable);
    CHECK(c.early_data_accepted());
    c.close();
  });
}

} // namespace tern::test
