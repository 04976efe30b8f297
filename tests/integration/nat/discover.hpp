#pragma once
// One endpoint.async_discover run to completion, for the NAT tests.

#include <doctest/doctest.h>

#include <tern/tern.hpp>

#include <asio/io_context.hpp>

#include <chrono>
#include <system_error>

namespace tern::test {

struct discovery {
  bool done = false;
  std::error_code ec;
  asio::ip::udp::endpoint reflexive;
};

/// Runs the io_context until the discovery towards `server` completes; the
/// 60 s bound only turns a hang into a failure.
inline discovery discover(asio::io_context& io, tern::endpoint& ep, const asio::ip::udp::endpoint& server) {
  using namespace std::chrono_literals;
  discovery d;
  ep.async_discover(server, [&](std::error_code ec, asio::ip::udp::endpoint r) {
    d.done = true;
    d.ec = ec;
    d.reflexive = r;
  });
  io.restart();
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (!d.done && std::chrono::steady_clock::now() < until) io.run_one_for(1s);
  REQUIRE_MESSAGE(d.done, "async_discover did not complete within 60 s");
  return d;
}

} // namespace tern::test
