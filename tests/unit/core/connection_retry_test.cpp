// Address validation with Retry (core/address_validation.hpp, core/retry.hpp, connection_retry.cpp): the
// server's stateless token check and the client's one-Retry rule.

#include "harness.hpp"

#include "crypto/crypto_error.hpp"

using namespace tern;
using namespace tern::core;
using namespace tern::core::test;

namespace {

bool is_retry(const std::vector<std::byte>& bytes) {
  wire::decoded_header h;
  return !wire::decode_header_layout(bytes, 8, h) && h.header.type == wire::packet_type::retry;
}

/// Records the header of the client's first Initial (its DCID is the original one).
struct initial_capture {
  std::vector<std::byte> bytes;
  wire::decoded_header header;
  void take(bool to_server, const std::vector<std::byte>& b) {
    if (!to_server || !bytes.empty()) return;
    bytes = b;
    REQUIRE_FALSE(wire::decode_header_layout(bytes, 8, header));
  }
};

std::vector<std::byte> make_retry(address_validation& v, const wire::packet_header& initial, const address& from,
                                  random_source& rng, time_point now) {
  std::vector<std::byte> out(1500);
  std::error_code ec;
  out.resize(v.write_retry(initial, from, 8, rng, now, out, ec));
  REQUIRE_FALSE(ec);
  return out;
}

/// Sends `data` client -> server on one stream; returns what the server read.
std::vector<std::byte> transfer(network& net, const std::vector<std::byte>& data) {
  std::error_code ec;
  auto id = net.client->open_stream(stream::direction::bidi, ec);
  REQUIRE(id);
  std::size_t written = 0;
  std::vector<std::byte> got;
  std::optional<std::uint64_t> server_id;
  bool fin = false;
  REQUIRE(net.run_until([&] {
    if (written < data.size()) {
      written += net.client->write(*id, std::span(data).subspan(written), ec);
      if (written == data.size()) REQUIRE_FALSE(net.client->finish(*id));
    }
    if (!server_id) server_id = net.server->accept_stream(stream::direction::bidi);
    if (server_id) {
      std::vector<std::byte> buf(65536);
      for (;;) {
        auto r = net.server->read(*server_id, buf, ec);
        got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.bytes));
        if (r.fin) fin = true;
        if (r.bytes == 0) break;
      }
    }
    return fin;
  }));
  return got;
}

} // namespace

TEST_CASE("retry: a server requiring a token answers with one Retry, the token creates the connection") {
  network net(pinned_configs());
  address_validation v(10s);
  net.validator = &v;
  std::size_t initials = 0;
  std::size_t initials_with_token = 0;
  net.hook = [&](bool to_server, std::vector<std::byte>& b) {
    wire::decoded_header h;
    if (to_server && !wire::decode_header_layout(b, 8, h) && h.header.type == wire::packet_type::initial) {
      ++initials;
      if (!h.header.token.empty()) ++initials_with_token;
    }
    return true;
  };
  REQUIRE(net.handshake());
  CHECK(net.retries_sent == 1);
  CHECK(initials_with_token >= 1);
  CHECK(initials_with_token + 1 == initials);
  CHECK(net.initials_refused == 0);
  const auto data = pattern(200000, 3);
  CHECK(transfer(net, data) == data);
}

TEST_CASE("retry: an address validated by its token is not held to 3x what the server received") {
  // The server's handshake flight is never acknowledged and goes out again
  // at every probe timeout (about 1, 3, 7 and 15 s: four times in 20 s,
  // beyond three times one Initial).
  auto configs = pinned_configs();
  configs.second.handshake_timeout = 25s;
  configs.second.idle_timeout = 60s;
  const auto run = [&](bool require_token) {
    network net(configs);
    address_validation v(10s);
    if (require_token) net.validator = &v;
    // Deliver the client's Initials up to the one the connection is made
    // from (the second, with the token, when a Retry answers the first),
    // then nothing more.
    const std::uint64_t sent = net.run_with_client_silent_after(require_token ? 2 : 1, 20s);
    REQUIRE(net.server);
    CHECK(net.retries_sent == (require_token ? 1 : 0));
    return sent;
  };
  const std::uint64_t unvalidated = run(false);
  const std::uint64_t validated = run(true);
  MESSAGE("server sent ", unvalidated, " bytes unvalidated, ", validated, " after a token");
  // The connection itself received one 1200-byte Initial either way.
  CHECK(unvalidated <= 3 * 1200);
  CHECK(validated > 3 * 1200);
}

TEST_CASE("retry: forged, corrupted, expired, other-address and other-ID tokens are refused") {
  network net(pinned_configs());
  net.start();
  initial_capture first;
  std::vector<std::byte> buf(1500);
  auto t = net.client->poll_transmit(buf, net.now);
  REQUIRE(t);
  first.take(true, std::vector<std::byte>(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(t->size)));
  address_validation v(10s);
  const auto retry_bytes = make_retry(v, first.header.header, net.client_addr, net.rng, net.now);
  CHECK(retry_bytes.size() < first.bytes.size());
  wire::decoded_header retry;
  REQUIRE_FALSE(wire::decode_header(retry_bytes, 8, retry));
  CHECK(retry_integrity_valid(first.header.header.dcid, retry_bytes));

  // The client's next Initial, as it would send it.
  wire::packet_header next = first.header.header;
  next.dcid = retry.header.scid;
  std::vector<std::byte> token(retry.header.token.begin(), retry.header.token.end());
  next.token = token;
  wire::connection_id odcid;
  REQUIRE_FALSE(v.validate(next, net.client_addr, net.now, odcid));
  CHECK(odcid == first.header.header.dcid);

  CHECK(v.validate(next, address::ipv4({10, 0, 0, 9}, 40000), net.now, odcid) == crypto::crypto_errc::token_invalid);
  CHECK(v.validate(next, address::ipv4({10, 0, 0, 1}, 40001), net.now, odcid) == crypto::crypto_errc::token_invalid);
  CHECK(v.validate(next, net.client_addr, net.now + 11s, odcid) == crypto::crypto_errc::token_expired);
  wire::packet_header other_dcid = next;
  other_dcid.dcid = first.header.header.dcid;
  CHECK(v.validate(other_dcid, net.client_addr, net.now, odcid) == crypto::crypto_errc::token_invalid);
  for (std::size_t i = 0; i < token.size(); ++i) {
    auto forged = token;
    forged[i] ^= std::byte{0x01};
    wire::packet_header h = next;
    h.token = forged;
    CHECK_MESSAGE(v.validate(h, net.client_addr, net.now, odcid), "byte ", i);
  }
  wire::packet_header truncated = next;
  truncated.token = std::span<const std::byte>(token).first(token.size() - 1);
  CHECK(v.validate(truncated, net.client_addr, net.now, odcid) == crypto::crypto_errc::token_invalid);
  wire::packet_header none = next;
  none.token = {};
  CHECK(v.validate(none, net.client_addr, net.now, odcid) == crypto::crypto_errc::token_invalid);
  address_validation stranger(10s); // another server's secret
  CHECK(stranger.validate(next, net.client_addr, net.now, odcid) == crypto::crypto_errc::token_invalid);
}

TEST_CASE("retry: a Retry with a bad integrity tag is ignored, the retransmitted Initial gets a good one") {
  network net(pinned_configs());
  address_validation v(10s);
  net.validator = &v;
  bool corrupted = false;
  net.hook = [&](bool to_server, std::vector<std::byte>& b) {
    if (!to_server && !corrupted && is_retry(b)) {
      corrupted = true;
      b.back() ^= std::byte{0x80}; // last byte of the tag
    }
    return true;
  };
  REQUIRE(net.handshake());
  CHECK(corrupted);
  CHECK(net.retries_sent == 2);
  CHECK(net.client->stats().packets_dropped >= 1);
}

TEST_CASE("retry: a second Retry, and a Retry after the server's packets, are dropped") {
  network net(pinned_configs());
  address_validation v(10s);
  net.validator = &v;
  initial_capture first;
  std::size_t retries_seen = 0;
  net.hook = [&](bool to_server, std::vector<std::byte>& b) {
    first.take(to_server, b);
    if (!to_server && is_retry(b)) ++retries_seen;
    return true;
  };
  net.start();
  // Run until the client followed the first Retry, then inject a second one.
  REQUIRE(net.run_until([&] { return retries_seen == 1 && net.queue.empty(); }, 1s));
  const auto dropped_before = net.client->stats().packets_dropped;
  auto second = make_retry(v, first.header.header, net.client_addr, net.rng, net.now);
  net.client->on_datagram(second, net.server_addr, net.now);
  CHECK(net.client->stats().packets_dropped == dropped_before + 1);
  REQUIRE(net.handshake());
  CHECK(net.retries_sent == 1);

  const auto late = net.client->stats().packets_dropped;
  auto third = make_retry(v, first.header.header, net.client_addr, net.rng, net.now);
  net.client->on_datagram(third, net.server_addr, net.now);
  CHECK(net.client->stats().packets_dropped == late + 1);
  CHECK(net.client->is_established());
  const auto data = pattern(20000, 5);
  CHECK(transfer(net, data) == data);
}
