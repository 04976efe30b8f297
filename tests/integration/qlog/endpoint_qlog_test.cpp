// tern::endpoint writes one qlog trace per connection and side into
// config::qlog_dir (or TERN_QLOG_DIR), each valid against the schema's
// required fields; a directory that does not exist is refused at open.

#include "integration/api/fixture.hpp"
#include "qlog_schema.hpp"

#include <asio/read.hpp>
#include <asio/write.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace tern::test {
namespace {

namespace fs = std::filesystem;

struct scratch_dir {
  fs::path path = fs::temp_directory_path() / ("tern-qlog-api-" + std::to_string(::getpid()));
  scratch_dir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::vector<fs::path> files() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(path)) out.push_back(e.path());
    return out;
  }
};

/// One echoed stream between two endpoints made with these configs.
void echo_once(config server_cfg, config client_cfg) {
  loopback net(server_cfg, client_cfg);
  net.run([&]() -> asio::awaitable<void> {
    asio::co_spawn(net.io, echo_server(net.server), asio::detached);
    const asio::ip::udp::endpoint to{asio::ip::make_address("127.0.0.1"), net.server.local_endpoint().port()};
    auto c = co_await net.client.async_connect(to, net.pin(), use_awaitable);
    auto s = co_await c.async_open_stream(use_awaitable);
    const auto data = pattern(100'000, seed());
    asio::co_spawn(
        net.io,
        [s, &data]() mutable -> asio::awaitable<void> {
          co_await asio::async_write(s, asio::buffer(data), use_awaitable);
          s.shutdown_send();
        },
        asio::detached);
    std::vector<std::byte> back;
    auto [ec, n] = co_await asio::async_read(s, asio::dynamic_buffer(back), as_tuple);
    CHECK(ec == asio::error::eof); // the echo ends with the peer's FIN
    CHECK(n == back.size());
    CHECK(back == data);
    c.close();
  });
}

void check_two_valid_traces(const scratch_dir& dir) {
  const auto files = dir.files();
  REQUIRE(files.size() == 2);
  std::set<std::string> sides;
  for (const auto& f : files) {
    const auto t = qlog_schema::check_file(f.string());
    CAPTURE(f.string());
    CHECK_MESSAGE(t.errors.empty(), (t.errors.empty() ? std::string() : t.errors.front()));
    CHECK(t.events.count("transport:packet_sent") == 1);
    CHECK(t.events.count("transport:packet_received") == 1);
    sides.insert(t.vantage);
  }
  CHECK(sides == std::set<std::string>{"client", "server"});
}

} // namespace

TEST_CASE("qlog: config::qlog_dir gives one valid trace per side of a connection") {
  scratch_dir dir;
  config server_cfg = server_config();
  config client_cfg;
  server_cfg.qlog_dir = dir.path.string();
  client_cfg.qlog_dir = dir.path.string();
  echo_once(server_cfg, client_cfg);
  check_two_valid_traces(dir);
}

TEST_CASE("qlog: TERN_QLOG_DIR traces connections of endpoints that set no qlog_dir") {
  scratch_dir dir;
  REQUIRE(::setenv("TERN_QLOG_DIR", dir.path.c_str(), 1) == 0);
  echo_once(server_config(), config{});
  ::unsetenv("TERN_QLOG_DIR");
  check_two_valid_traces(dir);
}

TEST_CASE("qlog: an endpoint refuses a qlog_dir that does not exist") {
  asio::io_context io;
  config cfg;
  cfg.qlog_dir = "/nonexistent/tern-qlog";
  endpoint ep(io.get_executor());
  std::error_code ec;
  ep.open({asio::ip::make_address("127.0.0.1"), 0}, cfg, ec);
  CHECK(ec == errc::invalid_argument);
  CHECK_FALSE(ep.is_open());
}

} // namespace tern::test
