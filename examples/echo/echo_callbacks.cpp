// Echo over tern with plain completion callbacks: the same exchange as
// echo_coro, server and client in one process on loopback. Exits 0 when
// every echo matched.

#include <tern/tern.hpp>

#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <array>
#include <cstdio>
#include <memory>
#include <string>

namespace ip = asio::ip;

namespace {

// Server side: one object per stream, kept alive by its pending handlers.
class echo_session : public std::enable_shared_from_this<echo_session> {
public:
  explicit echo_session(tern::byte_stream s) : stream_(std::move(s)) {}
  void start() { read(); }

private:
  void read() {
    stream_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](std::error_code ec, std::size_t n) {
      if (ec == asio::error::eof) return self->stream_.shutdown_send();
      if (ec) return;
      asio::async_write(self->stream_, asio::buffer(self->buf_.data(), n),
                        [self](std::error_code wec, std::size_t) {
                          if (!wec) self->read();
                        });
    });
  }
  tern::byte_stream stream_;
  std::array<char, 16 * 1024> buf_;
};

void accept_streams(tern::connection c) {
  c.async_accept_stream([c](std::error_code ec, tern::byte_stream s) {
    if (ec) return;
    std::make_shared<echo_session>(std::move(s))->start();
    accept_streams(c);
  });
}

void accept_connections(tern::endpoint& ep) {
  ep.async_accept([&ep](std::error_code ec, tern::connection c) {
    if (ec) return;
    accept_streams(std::move(c));
    accept_connections(ep);
  });
}

// Client side: connect, open a stream, write, finish, read to eof.
struct client_run {
  tern::endpoint& ep;
  tern::endpoint& server;
  std::string message;
  std::string reply;
  tern::connection conn;
  tern::byte_stream stream;
  bool ok = false;

  void start() {
    tern::connect_options o;
    o.pinned_fingerprints = {server.fingerprint()};
    ep.async_connect(server.local_endpoint(), o, [this](std::error_code ec, tern::connection c) {
      if (ec) return fail("connect", ec);
      conn = std::move(c);
      conn.async_open_stream([this](std::error_code oec, tern::byte_stream s) {
        if (oec) return fail("open", oec);
        stream = std::move(s);
        asio::async_write(stream, asio::buffer(message), [this](std::error_code wec, std::size_t) {
          if (wec) return fail("write", wec);
          stream.shutdown_send();
          asio::async_read(stream, asio::dynamic_buffer(reply), [this](std::error_code rec, std::size_t) {
            if (rec != asio::error::eof) return fail("read", rec);
            ok = reply == message;
            std::printf("echo: %zu bytes %s\n", reply.size(), ok ? "ok" : "MISMATCH");
            conn.close(0, "done");
            server.close();
            ep.close();
          });
        });
      });
    });
  }
  void fail(const char* what, std::error_code ec) {
    std::fprintf(stderr, "echo_callbacks: %s: %s\n", what, ec.message().c_str());
    server.close();
    ep.close();
  }
};

} // namespace

int main(int argc, char** argv) {
  // No arguments: --help says so, anything else is a usage error (exit 2).
  if (argc > 1) {
    const std::string arg = argv[1];
    if (arg == "--help" || arg == "-h") {
      std::printf("usage: echo_callbacks   (server and client in one process on loopback)\n");
      return 0;
    }
    std::fprintf(stderr, "echo_callbacks: unexpected argument '%s' (echo_callbacks takes none)\n", argv[1]);
    return 2;
  }
  asio::io_context io;
  tern::config server_cfg;
  server_cfg.accept_connections = true;
  tern::endpoint server(io.get_executor(), {ip::make_address("127.0.0.1"), 0}, server_cfg);
  tern::endpoint client(io.get_executor(), {ip::make_address("127.0.0.1"), 0});
  accept_connections(server);

  client_run run{client, server, "hello over callbacks " + std::string(50000, 'y'), {}, {}, {}};
  run.start();
  io.run();
  return run.ok ? 0 : 1;
}
