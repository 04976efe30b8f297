#include "harness.hpp"

#include "crypto/crypto_error.hpp"
#include "stream/stream_errc.hpp"

#include <doctest/doctest.h>

using namespace tern;
using namespace tern::core;
using namespace tern::core::test;

TEST_CASE("connection: handshake with a pinned fingerprint completes on both sides") {
  network net(pinned_configs());
  REQUIRE(net.handshake());
  CHECK(net.client->alpn() == "tern/1");
  CHECK(net.server->alpn() == "tern/1");
  REQUIRE(net.client->peer_fingerprint().has_value());
  CHECK(crypto::format_fingerprint(*net.client->peer_fingerprint()) == server_identity().fingerprint());
  CHECK(std::count_if(net.client_events.begin(), net.client_events.end(), [](auto& e) {
          return e.what == connection_event::kind::handshake_complete;
        }) == 1);
  CHECK(net.worst_amplification_excess <= 0);
}

TEST_CASE("connection: one bidirectional stream carries bytes both ways with FIN") {
  network net(pinned_configs());
  REQUIRE(net.handshake());
  std::error_code ec;
  auto id = net.client->open_stream(stream::direction::bidi, ec);
  REQUIRE(id);
  const auto data = pattern(100000, 1);
  std::size_t written = 0;
  std::vector<std::byte> got;
  std::optional<std::uint64_t> server_id;
  bool fin = false;
  REQUIRE(net.run_until([&] {
    if (written < data.size()) {
      written += net.client->write(*id, std::span(data).subspan(written), ec);
      REQUIRE_FALSE(ec);
      if (written == data.size()) REQUIRE_FALSE(net.client->finish(*id));
    }
    if (!server_id) server_id = net.server->accept_stream(stream::direction::bidi);
    if (server_id) {
      std::vector<std::byte> buf(65536);
      for (;;) {
        auto r = net.server->read(*server_id, buf, ec);
        REQUIRE_FALSE(ec);
        got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.bytes));
        if (r.fin) fin = true;
        if (r.bytes == 0) break;
      }
    }
    return fin;
  }));
  CHECK(got == data);
}
