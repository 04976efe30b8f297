// Echo over tern with C++20 coroutines.
//
//   echo_coro                              server and client in one process on
//                                          loopback; exits 0 when the echo matched
//   echo_coro server [port]                prints its port and fingerprint, serves
//   echo_coro client <ip> <port> <fingerprint> [message]
//   echo_coro --help                       the usage; a bad command line exits 2

#include <tern/tern.hpp>

#include <asio/experimental/as_tuple.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>

using asio::use_awaitable;
namespace ip = asio::ip;

namespace {

constexpr const char* usage = "usage: echo_coro [server [PORT] | client IP PORT FINGERPRINT [MESSAGE]]";

// A bad command line: one line on stderr, exit status 2 (docs/building.md).
int usage_error(const std::string& what) {
  std::cerr << "echo_coro: " << what << " (" << usage << ")\n";
  return 2;
}

// A whole decimal port number, 0 to 65535; "abc" and "80x" are refused.
bool parse_port(std::string_view text, unsigned short& port) {
  const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), port);
  return err == std::errc{} && end == text.data() + text.size();
}

// Echoes one stream until the peer finishes it, then finishes ours.
asio::awaitable<void> echo_stream(tern::byte_stream s) {
  std::array<char, 16 * 1024> buf;
  for (;;) {
    auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), asio::experimental::as_tuple(use_awaitable));
    if (ec == asio::error::eof) break;
    if (ec) co_return;
    co_await asio::async_write(s, asio::buffer(buf.data(), n), use_awaitable);
  }
  s.shutdown_send();
}

asio::awaitable<void> serve_connection(tern::connection c) {
  for (;;) {
    auto [ec, s] = co_await c.async_accept_stream(asio::experimental::as_tuple(use_awaitable));
    if (ec) co_return; // the connection ended
    asio::co_spawn(c.get_executor(), echo_stream(std::move(s)), asio::detached);
  }
}

asio::awaitable<void> serve(tern::endpoint& ep) {
  for (;;) {
    auto [ec, c] = co_await ep.async_accept(asio::experimental::as_tuple(use_awaitable));
    if (ec) co_return; // the endpoint closed
    asio::co_spawn(ep.get_executor(), serve_connection(std::move(c)), asio::detached);
  }
}

asio::awaitable<std::string> echo_once(tern::endpoint& ep, ip::udp::endpoint server, std::string fingerprint,
                                       std::string message) {
  tern::connect_options options;
  options.pinned_fingerprints = {fingerprint};
  tern::connection c = co_await ep.async_connect(server, options, use_awaitable);
  tern::byte_stream s = co_await c.async_open_stream(use_awaitable);
  co_await asio::async_write(s, asio::buffer(message), use_awaitable);
  s.shutdown_send();
  std::string reply;
  auto [ec, n] = co_await asio::async_read(s, asio::dynamic_buffer(reply), asio::experimental::as_tuple(use_awaitable));
  if (ec != asio::error::eof) throw std::system_error(ec, "read");
  c.close(0, "done");
  co_return reply;
}

} // namespace

int main(int argc, char** argv) try {
  asio::io_context io;
  const std::string mode = argc > 1 ? argv[1] : "demo";
  if (mode == "--help" || mode == "-h") {
    std::cout << usage << "\n";
    return 0;
  }
  if (mode != "server" && mode != "client" && mode != "demo")
    return usage_error("unknown mode '" + mode + "'");

  if (mode == "server") {
    tern::config cfg;
    cfg.accept_connections = true;
    unsigned short port = 0;
    if (argc > 3) return usage_error("too many arguments");
    if (argc > 2 && !parse_port(argv[2], port)) return usage_error("bad port '" + std::string{argv[2]} + "'");
    tern::endpoint ep(io.get_executor(), {ip::udp::v6(), port}, cfg);
    std::cout << "port " << ep.local_endpoint().port() << "\nfingerprint " << ep.fingerprint() << std::endl;
    asio::co_spawn(io, serve(ep), asio::detached);
    io.run();
    return 0;
  }

  if (mode == "client") {
    if (argc < 5) return usage_error("client needs IP PORT FINGERPRINT");
    if (argc > 6) return usage_error("too many arguments");
    std::error_code ec;
    const auto address = ip::make_address(argv[2], ec);
    if (ec) return usage_error("bad IP address '" + std::string{argv[2]} + "'");
    unsigned short port = 0;
    if (!parse_port(argv[3], port) || port == 0)
      return usage_error("bad port '" + std::string{argv[3]} + "'");
    const ip::udp::endpoint server(address, port);
    tern::endpoint ep(io.get_executor(), {server.address().is_v4() ? ip::udp::v4() : ip::udp::v6(), 0});
    std::string message = argc > 5 ? argv[5] : "hello, tern";
    int status = 1;
    asio::co_spawn(io, echo_once(ep, server, argv[4], message), [&](std::exception_ptr e, std::string reply) {
      if (e) return;
      std::cout << reply << std::endl;
      status = reply == message ? 0 : 1;
    });
    io.run();
    return status;
  }

  // Demo: both sides on one io_context, several echoes in a row.
  if (argc > 2) return usage_error("too many arguments");
  tern::config server_cfg;
  server_cfg.accept_connections = true;
  tern::endpoint server(io.get_executor(), {ip::make_address("127.0.0.1"), 0}, server_cfg);
  tern::endpoint client(io.get_executor(), {ip::make_address("127.0.0.1"), 0});
  asio::co_spawn(io, serve(server), asio::detached);

  int failures = 0;
  auto run = [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 3; ++i) {
      const std::string message = "echo #" + std::to_string(i) + " " + std::string(std::size_t(1000) * i, 'x');
      const std::string reply = co_await echo_once(client, server.local_endpoint(), server.fingerprint(), message);
      if (reply != message) ++failures;
      std::printf("echo %d: %zu bytes %s\n", i, reply.size(), reply == message ? "ok" : "MISMATCH");
    }
    server.close();
    client.close();
  };
  std::exception_ptr error;
  asio::co_spawn(io, run(), [&](std::exception_ptr e) { error = e; });
  io.run();
  if (error) std::rethrow_exception(error);
  return failures == 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "echo_coro: " << e.what() << "\n";
  return 1;
}
