// tern-first-byte: how long a client waits for the first byte of an
// answer, from the connect call on, as a full, a resumed, or a resumed
// 0-RTT connection (docs/benchmarks.md, "Resumption: time to first byte").
//
//   tern-first-byte serve                   prints "port N" and "fingerprint FP"; answers
//                                           every request with 100 bytes at once, before
//                                           its handshake completes when it took early data
//   tern-first-byte fetch IP PORT FP FILE [--no-early]
//                                           resumes with the ticket in FILE if there is one
//                                           (with 0-RTT unless --no-early), says "first byte"
//                                           on stderr when it comes, prints one JSON line,
//                                           and keeps the connection's fresh ticket in FILE
//                                           (mode 0600) for the next run
//
// The request ("GET /\n") goes on a stream opened with allow_early: it
// reads, so it is safe to replay.

#include <tern/tern.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

using asio::use_awaitable;
using steady = std::chrono::steady_clock;
constexpr auto as_tuple = asio::experimental::as_tuple(use_awaitable);
constexpr std::size_t answer_bytes = 100;

std::vector<std::byte> read_ticket(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) out[i] = static_cast<std::byte>(raw[i]);
  return out;
}

bool write_ticket(const std::string& path, const std::vector<std::byte>& ticket) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const bool ok = ::write(fd, ticket.data(), ticket.size()) == static_cast<ssize_t>(ticket.size());
  return ::close(fd) == 0 && ok;
}

asio::awaitable<void> answer(tern::byte_stream s) {
  std::string request;
  auto [ec, n] = co_await asio::async_read_until(s, asio::dynamic_buffer(request, 256), '\n', as_tuple);
  if (ec) co_return;
  const std::string body(answer_bytes, 'x');
  co_await asio::async_write(s, asio::buffer(body), as_tuple);
  s.shutdown_send(ec);
}

asio::awaitable<void> serve(tern::endpoint& ep) {
  for (;;) {
    auto [ec, c] = co_await ep.async_accept(as_tuple);
    if (ec) co_return;
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(
        ex,
        [c]() mutable -> asio::awaitable<void> {
          for (;;) {
            auto [sec, s] = co_await c.async_accept_stream(as_tuple);
            if (sec) co_return;
            auto sx = co_await asio::this_coro::executor;
            asio::co_spawn(sx, answer(std::move(s)), asio::detached);
          }
        },
        asio::detached);
  }
}

int fetch(int argc, char** argv) {
  if (argc < 6) {
    std::cerr << "tern-first-byte: fetch IP PORT FINGERPRINT TICKET_FILE [--no-early]\n";
    return 2;
  }
  const asio::ip::udp::endpoint server(asio::ip::make_address(argv[2]),
                                       static_cast<unsigned short>(std::stoul(argv[3])));
  const std::string ticket_file = argv[5];
  const bool early = !(argc > 6 && std::string(argv[6]) == "--no-early");
  asio::io_context io;
  tern::config cfg;
  cfg.session_tickets = true;
  // No client certificate (the server asks for none): a ticket is bound to
  // the client identity it was issued under, and a generated one would
  // differ in every run.
  cfg.generate_certificate = false;
  tern::endpoint ep(io.get_executor(), {asio::ip::make_address("127.0.0.1"), 0}, cfg);
  int status = 1;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        tern::connect_options o;
        o.pinned_fingerprints = {argv[4]};
        o.session_ticket = read_ticket(ticket_file);
        o.early_data = early;
        const auto start = steady::now();
        auto c = co_await ep.async_connect(server, o, use_awaitable);
        const double connect_ms = std::chrono::duration<double, std::milli>(steady::now() - start).count();
        auto s = co_await c.async_open_stream(tern::stream_options{.allow_early = true}, use_awaitable);
        const std::string request = "GET /\n";
        co_await asio::async_write(s, asio::buffer(request), use_awaitable);
        char first = 0;
        co_await s.async_read_some(asio::buffer(&first, 1), use_awaitable);
        const double ms = std::chrono::duration<double, std::milli>(steady::now() - start).count();
        // For a clock outside this process (since_start.py): stderr is
        // unbuffered, so the line leaves now.
        std::fputs("first byte\n", stderr);
        co_await c.async_wait_handshake(use_awaitable);
        asio::steady_timer t(io);
        for (int i = 0; i < 200 && c.session_ticket().empty(); ++i) {
          t.expires_after(std::chrono::milliseconds(10));
          co_await t.async_wait(use_awaitable);
        }
        const bool kept = !c.session_ticket().empty() && write_ticket(ticket_file, c.session_ticket());
        std::printf("{\"resumed\":%s,\"early_data_accepted\":%s,\"connect_ms\":%.1f,\"first_byte_ms\":%.1f,"
                    "\"ticket_kept\":%s}\n",
                    c.resumed() ? "true" : "false", c.early_data_accepted() ? "true" : "false", connect_ms, ms,
                    kept ? "true" : "false");
        status = 0;
        c.close();
        ep.close();
      },
      [&](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          std::cerr << "tern-first-byte: " << x.what() << "\n";
        }
        ep.close();
      });
  io.run_for(std::chrono::seconds(20));
  return status;
}

} // namespace

int main(int argc, char** argv) try {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "fetch") return fetch(argc, argv);
  if (mode != "serve") {
    std::cerr << "usage: tern-first-byte serve | tern-first-byte fetch IP PORT FINGERPRINT TICKET_FILE [--no-early]\n";
    return 2;
  }
  asio::io_context io;
  tern::config cfg;
  cfg.accept_connections = true;
  cfg.session_tickets = true;
  cfg.accept_early_data = true;
  tern::endpoint ep(io.get_executor(), {asio::ip::make_address("127.0.0.1"), 0}, cfg);
  std::cout << "port " << ep.local_endpoint().port() << "\nfingerprint " << ep.fingerprint() << std::endl;
  asio::co_spawn(io, serve(ep), asio::detached);
  io.run();
  return 0;
} catch (const std::exception& e) {
  std::cerr << "tern-first-byte: " << e.what() << "\n";
  return 1;
}
