// Connection lifecycle over loopback: cancellation of pending operations,
// close during a transfer, a wrong pin, junk datagrams, endpoint shutdown,
// and a thousand connections on one endpoint.

#include "fixture.hpp"

#include "crypto/certificate.hpp"
#include "crypto/crypto_error.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/ip/udp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <tern/random.hpp>

namespace tern::test {
namespace {

TEST_CASE("pending operations complete with operation_aborted when cancelled, and the connection stays usable") {
  loopback net;
  net.run([&]() -> asio::awaitable<void> {
    connection server_conn;
    asio::co_spawn(
        net.io, [&]() -> asio::awaitable<void> { server_conn = co_await net.server.async_accept(use_awaitable); },
        asio::detached);
    auto c = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), use_awaitable);
    co_await wait_until([&] { return static_cast<bool>(server_conn); });

    asio::cancellation_signal read_signal, dgram_signal, accept_signal, message_signal;
    std::error_code read_ec, dgram_ec, accept_ec, message_ec;
    int completed = 0;
    auto s = co_await c.async_open_stream(use_awaitable);
    std::array<char, 64> buf;
    s.async_read_some(asio::buffer(buf), asio::bind_cancellation_slot(read_signal.slot(),
                                                                      [&](std::error_code ec, std::size_t) {
                                                                        read_ec = ec;
                                                                        ++completed;
                                                                      }));
    std::array<char, 64> dbuf;
    c.async_receive_datagram(asio::buffer(dbuf), asio::bind_cancellation_slot(dgram_signal.slot(),
                                                                              [&](std::error_code ec, std::size_t) {
                                                                                dgram_ec = ec;
                                                                                ++completed;
                                                                              }));
    c.async_receive_message(asio::bind_cancellation_slot(message_signal.slot(),
                                                         [&](std::error_code ec, received_message) {
                                                           message_ec = ec;
                                                           ++completed;
                                                         }));
    net.server.async_accept(asio::bind_cancellation_slot(accept_signal.slot(), [&](std::error_code ec, connection) {
      accept_ec = ec;
      ++completed;
    }));
    read_signal.emit(asio::cancellation_type::terminal);
    dgram_signal.emit(asio::cancellation_type::terminal);
    message_signal.emit(asio::cancellation_type::terminal);
    accept_signal.emit(asio::cancellation_type::terminal);
    // A second emit after completion must do nothing.
    read_signal.emit(asio::cancellation_type::terminal);
    co_await wait_until([&] { return completed == 4; });
    CHECK(read_ec == asio::error::operation_aborted);
    CHECK(dgram_ec == asio::error::operation_aborted);
    CHECK(message_ec == asio::error::operation_aborted);
    CHECK(accept_ec == asio::error::operation_aborted);

    // The stream and connection still work after the cancellations.
    const std::string hello = "still here";
    co_await asio::async_write(s, asio::buffer(hello), use_awaitable);
    auto peer = co_await server_conn.async_accept_stream(use_awaitable);
    std::string got(hello.size(), '\0');
    co_await asio::async_read(peer, asio::buffer(got), use_awaitable);
    CHECK(got == hello);
    c.close();
  });
}

TEST_CASE("closing during a transfer fails the peer's pending operations with the close reason") {
  loopback net;
  net.run([&]() -> asio::awaitable<void> {
    std::error_code server_read_error;
    std::size_t server_read = 0;
    connection server_conn;
    asio::co_spawn(
        net.io,
        [&]() -> asio::awaitable<void> {
          server_conn = co_await net.server.async_accept(use_awaitable);
          auto s = co_await server_conn.async_accept_stream(use_awaitable);
          std::vector<char> buf(65536);
          for (;;) {
            auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), as_tuple);
            server_read += n;
            if (ec) {
              server_read_error = ec;
              co_return;
            }
          }
        },
        asio::detached);
    auto c = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), use_awaitable);
    auto s = co_await c.async_open_stream(use_awaitable);
    const auto data = pattern(64u << 20, 7);
    std::error_code write_error;
    bool write_done = false;
    asio::async_write(s, asio::buffer(data), [&](std::error_code ec, std::size_t) {
      write_error = ec;
      write_done = true;
    });
    co_await wait_until([&] { return server_read > (1u << 20); });
    c.close(42, "enough");
    co_await wait_until([&] { return write_done && static_cast<bool>(server_read_error); });
    CHECK(write_error == errc::closed_locally);
    CHECK(server_read_error == errc::closed_by_peer);
    CHECK(server_conn.close_code() == 42);
    CHECK(server_conn.close_reason() == "enough");
    CHECK_FALSE(server_conn.is_open());
    auto [ec, st] = co_await c.async_open_stream(as_tuple);
    CHECK(ec == errc::closed_locally);
  });
}

TEST_CASE("a client pinning the wrong fingerprint fails the handshake") {
  loopback net;
  net.run([&]() -> asio::awaitable<void> {
    // Another server's fingerprint: well-formed, but not this server's key.
    endpoint other(net.io.get_executor(), {asio::ip::make_address("127.0.0.1"), 0}, server_config());
    connect_options o;
    o.pinned_fingerprints = {other.fingerprint()};
    REQUIRE(o.pinned_fingerprints[0] != net.server.fingerprint());
    auto [ec, c] = co_await net.client.async_connect(net.server.local_endpoint(), o, as_tuple);
    CHECK(ec);
    CHECK(std::string(ec.category().name()) == "tern.crypto");
    CHECK_FALSE(c);
  });
}

TEST_CASE("mutual TLS: the server accepts a pinned client key and sees the client's fingerprint") {
  // The client endpoint's generated certificate is sent when the server asks;
  // the server pins it (known here from a first client endpoint's key, kept
  // in PEM as an application would keep it).
  std::error_code ec;
  const auto id = tern::crypto::generate_self_signed(tern::crypto::key_algorithm::ec_p256, "client", ec);
  REQUIRE_FALSE(ec);
  config ccfg;
  ccfg.certificate_chain_pem = id.certificate_chain_pem();
  ccfg.private_key_pem = id.private_key_pem();
  config scfg = server_config();
  scfg.client_auth = client_authentication::require;
  scfg.pinned_client_fingerprints = {id.fingerprint()};
  loopback net(scfg, ccfg);
  REQUIRE(net.client.fingerprint() == id.fingerprint());
  net.run([&]() -> asio::awaitable<void> {
    connection server_side;
    asio::co_spawn(
        net.io, [&]() -> asio::awaitable<void> { server_side = co_await net.server.async_accept(use_awaitable); },
        asio::detached);
    auto c = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), use_awaitable);
    co_await wait_until([&] { return static_cast<bool>(server_side); });
    CHECK(server_side.peer_fingerprint() == net.client.fingerprint());
    CHECK(c.peer_fingerprint() == net.server.fingerprint());
    c.close();
  });
}

TEST_CASE("mutual TLS: an unknown client key, or none, is refused in the handshake with a clear error") {
  config scfg = server_config();
  scfg.client_auth = client_authentication::require;
  scfg.pinned_client_fingerprints = {std::string(64, 'A')}; // nobody's key
  config no_certificate;
  no_certificate.generate_certificate = false;
  for (const bool has_certificate : {true, false}) {
    CAPTURE(has_certificate);
    loopback net(scfg, has_certificate ? config{} : no_certificate);
    bool accepted = false; // outlives the scenario: the accept ends with the endpoint
    net.run([&]() -> asio::awaitable<void> {
      asio::co_spawn(
          net.io,
          [&]() -> asio::awaitable<void> {
            auto [aec, s] = co_await net.server.async_accept(as_tuple);
            accepted = !aec;
          },
          asio::detached);
      auto [ec, c] = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), as_tuple);
      CHECK_FALSE(c);
      CHECK(ec == (has_certificate ? tern::crypto::crypto_errc::peer_rejected_certificate
                                   : tern::crypto::crypto_errc::peer_requires_certificate));
      CHECK_FALSE(accepted);
    });
  }
}

TEST_CASE("junk datagrams are dropped without an answer and do not disturb the endpoint") {
  loopback net;
  net.run([&]() -> asio::awaitable<void> {
    asio::ip::udp::socket junk(net.io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    random_source rng(tern::test::seed());
    for (int i = 0; i < 200; ++i) {
      std::vector<std::byte> d(1 + rng.uniform(1400));
      rng.fill(d);
      junk.send_to(asio::buffer(d), net.server.local_endpoint());
    }
    asio::co_spawn(net.io, [&]() -> asio::awaitable<void> { co_await net.server.async_accept(use_awaitable); },
                   asio::detached);
    auto c = co_await net.client.async_connect(net.server.local_endpoint(), net.pin(), use_awaitable);
    CHECK(c.is_open());
    CHECK(net.server.info().datagrams_dropped >= 1);
    CHECK(junk.available() == 0); // nothing answered the junk
    c.close();
  });
}

TEST_CASE("closing the endpoint aborts pending operations") {
  loopback net;
  std::error_code accept_ec, read_ec;
  int done = 0;
  net.server.async_accept([&](std::error_code ec, connection) {
    accept_ec = ec;
    ++done;
  });
  connection client_conn;
  std::array<char, 16> buf;
  net.client.async_connect(net.server.local_endpoint(), net.pin(), [&](std::error_code ec, connection c) {
    REQUIRE_FALSE(ec);
    client_conn = c;
    c.async_open_stream([&](std::error_code oec, byte_stream s) {
      REQUIRE_FALSE(oec);
      s.async_read_some(asio::buffer(buf), [&](std::error_code rec, std::size_t) {
        read_ec = rec;
        ++done;
        net.server.close(); // aborts the accept if it is still pending
      });
      net.client.close();
    });
  });
  net.io.run_for(60s);
  CHECK(done == 2);
  // The server's accept either completed (its handshake finished first) or
  // was aborted by the server's close.
  CHECK((!accept_ec || accept_ec == asio::error::operation_aborted));
  CHECK(read_ec == asio::error::operation_aborted);
}

// What this proves: one endpoint holds a thousand connections at once and
// routes each one's traffic to it: every connection completes a handshake
// and a datagram round trip. Datagrams are unreliable - a thousand
// handshakes at once on a loaded machine can overflow a socket buffer - so
// a client whose ping was not answered sends it again, every 2 s, up to 10
// times (the server answers every ping); one drop costs 2 s, not the run's
// bound, and a connection that never answers is counted in a failed check.
TEST_CASE("one endpoint carries a thousand concurrent connections") {
  config server_cfg = server_config();
  server_cfg.keepalive_interval = std::chrono::seconds(0);
  loopback net(server_cfg);
  net.run(
      [&]() -> asio::awaitable<void> {
        constexpr int n = 1000;
        std::vector<connection> accepted;
        asio::co_spawn(
            net.io,
            [&]() -> asio::awaitable<void> {
              for (int i = 0; i < n; ++i) {
                auto c = co_await net.server.async_accept(use_awaitable);
                accepted.push_back(c);
                // Each server connection answers every ping.
                asio::co_spawn(
                    net.io,
                    [c]() mutable -> asio::awaitable<void> {
                      std::array<char, 64> b;
                      for (;;) {
                        auto [ec, len] = co_await c.async_receive_datagram(asio::buffer(b), as_tuple);
                        if (ec) co_return;
                        c.send_datagram(asio::buffer(b.data(), len));
                      }
                    },
                    asio::detached);
              }
            },
            asio::detached);
        std::vector<connection> clients;
        clients.reserve(n);
        std::vector<char> answered_at(n, 0); // per client, by its index in `clients`
        int answered = 0;
        int connect_failures = 0;
        auto ping_of = [](std::size_t i) { return "ping " + std::to_string(i); };
        // Connect in waves of 100 so handshakes do not all time out together
        // on a loaded machine.
        for (int wave = 0; wave < n / 100; ++wave) {
          int pending = 100;
          for (int i = 0; i < 100; ++i) {
            net.client.async_connect(net.server.local_endpoint(), net.pin(), [&](std::error_code ec, connection c) {
              --pending;
              if (ec) {
                ++connect_failures;
                return;
              }
              const std::size_t index = clients.size();
              clients.push_back(c);
              c.send_datagram(asio::buffer(ping_of(index)));
              asio::co_spawn(
                  net.io,
                  [c, index, &answered, &answered_at]() mutable -> asio::awaitable<void> {
                    std::array<char, 64> b;
                    auto [ec2, len] = co_await c.async_receive_datagram(asio::buffer(b), as_tuple);
                    if (ec2) co_return;
                    answered_at[index] = 1;
                    ++answered;
                  },
                  asio::detached);
            });
          }
          co_await wait_until([&] { return pending == 0; });
        }
        CHECK(connect_failures == 0);
        for (int round = 0; round < 10 && answered < static_cast<int>(clients.size()); ++round) {
          if (round > 0)
            for (std::size_t i = 0; i < clients.size(); ++i)
              if (!answered_at[i]) clients[i].send_datagram(asio::buffer(ping_of(i)));
          co_await wait_until([&] { return answered == static_cast<int>(clients.size()); }, 2s);
        }
        CHECK(answered == n);
        const bool all_accepted = co_await wait_until([&] { return static_cast<int>(accepted.size()) == n; }, 30s);
        CHECK(all_accepted);
        CHECK(net.server.info().connections == n);
        CHECK(net.client.info().connections == n);
        for (auto& c : clients) c.close();
      },
      300s);
}

} // namespace
} // namespace tern::test
