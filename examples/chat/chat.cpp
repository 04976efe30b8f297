// Chat over several streams of one connection: each room is a stream, lines
// are read with asio::async_read_until, and the server answers every line on
// the stream it came from. Rooms run concurrently and never block each other.
//
//   chat            server and client in one process; exits 0 when every room
//                   got every answer

#include <tern/tern.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/read_until.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <cstdio>
#include <string>
#include <vector>

using asio::use_awaitable;
namespace ip = asio::ip;
constexpr auto as_tuple = asio::experimental::as_tuple(use_awaitable);

namespace {

// Server: one coroutine per room stream; answers "<room>: <line>" per line.
asio::awaitable<void> serve_room(tern::byte_stream s) {
  std::string buf;
  std::string room;
  for (;;) {
    auto [ec, n] = co_await asio::async_read_until(s, asio::dynamic_buffer(buf), '\n', as_tuple);
    if (ec) break;
    std::string line = buf.substr(0, n - 1);
    buf.erase(0, n);
    if (room.empty() && line.rfind("join ", 0) == 0) {
      room = line.substr(5);
      continue;
    }
    const std::string answer = room + ": " + line + "\n";
    co_await asio::async_write(s, asio::buffer(answer), use_awaitable);
  }
  s.shutdown_send();
}

asio::awaitable<void> serve(tern::endpoint& ep) {
  auto c = co_await ep.async_accept(use_awaitable);
  for (;;) {
    auto [ec, s] = co_await c.async_accept_stream(as_tuple);
    if (ec) co_return;
    asio::co_spawn(ep.get_executor(), serve_room(s), asio::detached);
  }
}

// Client: joins a room on a new stream, says `lines` things, reads answers.
asio::awaitable<bool> chat_in(tern::connection c, std::string room, int lines) {
  auto s = co_await c.async_open_stream(use_awaitable);
  std::string out = "join " + room + "\n";
  for (int i = 0; i < lines; ++i) out += "message " + std::to_string(i) + " from " + room + "\n";
  co_await asio::async_write(s, asio::buffer(out), use_awaitable);
  s.shutdown_send();
  std::string buf;
  bool ok = true;
  for (int i = 0; i < lines; ++i) {
    const std::size_t n = co_await asio::async_read_until(s, asio::dynamic_buffer(buf), '\n', use_awaitable);
    const std::string expect = room + ": message " + std::to_string(i) + " from " + room;
    if (buf.substr(0, n - 1) != expect) ok = false;
    buf.erase(0, n);
  }
  std::printf("room %s: %d answers %s\n", room.c_str(), lines, ok ? "ok" : "WRONG");
  co_return ok;
}

} // namespace

int main(int argc, char** argv) {
  // No arguments: --help says so, anything else is a usage error (exit 2).
  if (argc > 1) {
    const std::string arg = argv[1];
    if (arg == "--help" || arg == "-h") {
      std::printf("usage: chat   (server and client in one process on loopback)\n");
      return 0;
    }
    std::fprintf(stderr, "chat: unexpected argument '%s' (chat takes none)\n", argv[1]);
    return 2;
  }
  asio::io_context io;
  tern::config scfg;
  scfg.accept_connections = true;
  tern::endpoint server(io.get_executor(), {ip::make_address("127.0.0.1"), 0}, scfg);
  tern::endpoint client(io.get_executor(), {ip::make_address("127.0.0.1"), 0});
  asio::co_spawn(io, serve(server), asio::detached);

  const std::vector<std::string> rooms{"lobby", "media", "random", "ops"};
  int good = 0;
  int finished = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        tern::connect_options o;
        o.pinned_fingerprints = {server.fingerprint()};
        auto c = co_await client.async_connect(server.local_endpoint(), o, use_awaitable);
        for (const auto& room : rooms)
          asio::co_spawn(
              io,
              [&, c, room]() -> asio::awaitable<void> {
                if (co_await chat_in(c, room, 25)) ++good;
                if (++finished == static_cast<int>(rooms.size())) {
                  server.close();
                  client.close();
                }
              },
              asio::detached);
      },
      asio::detached);
  io.run();
  return good == static_cast<int>(rooms.size()) ? 0 : 1;
}
