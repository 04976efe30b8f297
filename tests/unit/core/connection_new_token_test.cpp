// NEW_TOKEN (core/address_validation.hpp, connection_new_token.cpp): a
// server requiring address validation gives the client a token once the
// handshake is confirmed; the client's next connection presents it and is
// admitted without a Retry, its address already validated.

#include "harness.hpp"
#include "support/connection_test_access.hpp"

#include "crypto/crypto_error.hpp"
#include "wire/transport_error.hpp"

using namespace tern;
using namespace tern::core;
using namespace tern::core::test;

namespace {

/// A server connection from `validator` gave the client a token.
struct first_connection {
  std::vector<std::byte> token;
  time_point ended{};
};

first_connection get_token(address_validation& validator) {
  network net(pinned_configs());
  net.validator = &validator;
  REQUIRE(net.handshake());
  CHECK(net.retries_sent == 1);
  REQUIRE(net.run_until([&] { return !net.client->received_token().empty(); }, 1s));
  return {net.client->received_token(), net.now};
}

/// A network whose clock starts `later` after `first` ended, so its tokens
/// are not from the future.
network later_network(const first_connection& first, duration later = 1min,
                      std::pair<connection_config, connection_config> configs = pinned_configs()) {
  network net(std::move(configs));
  net.now = first.ended + later;
  return net;
}

/// Virtual time from the client's first Initial to both sides established.
duration time_to_established(network& net) {
  const time_point start = net.now;
  REQUIRE(net.handshake());
  return net.now - start;
}

} // namespace

TEST_CASE(
    "new_token: the server sends one once the handshake is confirmed, the next connection needs no Retry") {
  address_validation v(10s);
  const auto first = get_token(v);
  CHECK(first.token.size() == new_token_length);

  network without(pinned_configs());
  without.validator = &v;
  const duration with_retry = time_to_established(without);
  CHECK(without.retries_sent == 1);

  auto net = later_network(first);
  net.validator = &v;
  net.client_address_token = first.token;
  // Another port, as a NAT gives a new connection: the token binds the IP only.
  net.client_addr = address::ipv4({10, 0, 0, 1}, 51234);
  const duration with_token = time_to_established(net);
  CHECK(net.retries_sent == 0);
  CHECK(net.initials_refused == 0);
  REQUIRE(net.admission);
  CHECK(*net.admission == initial_admission::accept_validated);
  MESSAGE("handshake with a Retry ",
          std::chrono::duration_cast<std::chrono::milliseconds>(with_retry).count(),
          " ms, with a NEW_TOKEN token ",
          std::chrono::duration_cast<std::chrono::milliseconds>(with_token).count(), " ms (RTT ",
          std::chrono::duration_cast<std::chrono::milliseconds>(2 * net.one_way).count(), " ms)");
  // The Retry's round trip is exactly what the token saves.
  CHECK(with_retry - with_token == 2 * net.one_way);
  // The second connection gets a fresh token too.
  REQUIRE(net.run_until([&] { return !net.client->received_token().empty(); }, 1s));
  CHECK(net.client->received_token() != first.token);
}

TEST_CASE("new_token: an address validated by a NEW_TOKEN token is not held to 3x what the server received") {
  auto configs = pinned_configs();
  configs.second.handshake_timeout = 25s;
  configs.second.idle_timeout = 60s;
  address_validation v(10s);
  const auto first = get_token(v);
  const auto run = [&](bool with_token) {
    auto net = later_network(first, 1min, configs);
    net.validator = &v;
    if (with_token) net.client_address_token = first.token;
    // Deliver the client's Initials up to the one the connection is made
    // from (the second, after a Retry, without a token), then nothing more:
    // the server's flight goes out again at every probe timeout.
    const std::uint64_t sent = net.run_with_client_silent_after(with_token ? 1 : 2, 20s);
    REQUIRE(net.server);
    CHECK(net.retries_sent == (with_token ? 0 : 1));
    return sent;
  };
  const std::uint64_t retried = run(false);
  const std::uint64_t token = run(true);
  MESSAGE("server sent ", retried, " bytes after a Retry, ", token, " after a NEW_TOKEN token");
  CHECK(token > 3 * 1200);       // one 1200-byte Initial received, more than 3x sent
  // As much as a Retry-validated address. `retried` also holds the Retry
  // (about 90 bytes), and each run's server flight carries an ECDSA
  // signature whose DER length varies (70-72 bytes, rarely less) with
  // OpenSSL's own randomness, not the test seed, in every copy the probes
  // resend (5 here): 4146-4166 and 4060-4075 bytes were seen over seeds.
  CHECK(token + 90 + 2 * 15 >= retried);
}

TEST_CASE("new_token: a token that does not validate counts as none: the server answers with a Retry") {
  address_validation v(10s);
  const auto first = get_token(v);
  auto try_with = [&](std::vector<std::byte> token, duration later, address client) {
    auto net = later_network(first, later);
    net.validator = &v;
    net.client_address_token = std::move(token);
    net.client_addr = client;
    REQUIRE(net.handshake());
    CHECK(net.retries_sent == 1);
    CHECK(net.initials_refused == 0);
    REQUIRE(net.admission);
    CHECK(*net.admission == initial_admission::accept_after_retry);
  };
  const auto same_ip = address::ipv4({10, 0, 0, 1}, 40000);
  SUBCASE("forged") {
    auto forged = first.token;
    forged.back() ^= std::byte{0x01};
    try_with(forged, 1min, same_ip);
  }
  SUBCASE("expired") { try_with(first.token, 24h + 1s, same_ip); }
  SUBCASE("another IP address") { try_with(first.token, 1min, address::ipv4({10, 0, 0, 7}, 40000)); }
  SUBCASE("another server's") {
    address_validation stranger(10s);
    std::vector<std::byte> t(new_token_length);
    REQUIRE_FALSE(stranger.write_new_token(same_ip, first.ended, t));
    try_with(t, 1min, same_ip);
  }
  SUBCASE("a Retry token's cookie under the NEW_TOKEN kind") {
    // What a client that kept its Retry token would present, relabelled.
    network n(pinned_configs());
    n.validator = &v;
    std::vector<std::byte> retry_token;
    n.hook = [&](bool to_server, std::vector<std::byte>& b) {
      wire::decoded_header h;
      if (!to_server && retry_token.empty() && !wire::decode_header_layout(b, 8, h) &&
          h.header.type == wire::packet_type::retry)
        retry_token.assign(h.header.token.begin(), h.header.token.end());
      return true;
    };
    REQUIRE(n.handshake());
    REQUIRE(retry_token.size() > new_token_length);
    CHECK(retry_token[0] == static_cast<std::byte>(token_kind::retry));
    std::vector<std::byte> relabelled(retry_token.begin(), retry_token.begin() + new_token_length);
    relabelled[0] = static_cast<std::byte>(token_kind::new_token);
    try_with(relabelled, 1min, same_ip);
  }
}

TEST_CASE("new_token: the two kinds of token never pass as each other") {
  address_validation v(10s, 1h);
  const auto client = address::ipv4({10, 0, 0, 1}, 40000);
  const time_point t0 = time_point{} + 1s;
  std::vector<std::byte> token(new_token_length);
  REQUIRE_FALSE(v.write_new_token(client, t0, token));
  CHECK(token[0] == static_cast<std::byte>(token_kind::new_token));
  CHECK_FALSE(v.validate_new_token(token, client, t0 + 1h));
  CHECK_FALSE(v.validate_new_token(token, address::ipv4({10, 0, 0, 1}, 1), t0)); // the port does not count
  CHECK(v.validate_new_token(token, client, t0 + 1h + 1us) == crypto::crypto_errc::token_expired);
  CHECK(v.validate_new_token(token, address::ipv4({10, 0, 0, 2}, 40000), t0) ==
        crypto::crypto_errc::token_invalid);
  address v6;
  v6.family = address_family::ipv6;
  v6.port = 40000;
  CHECK(v.validate_new_token(token, v6, t0) == crypto::crypto_errc::token_invalid);
  CHECK(v.validate_new_token(std::span<const std::byte>(token).first(new_token_length - 1), client, t0) ==
        crypto::crypto_errc::token_invalid);

  // Presented in an Initial: accepted as a NEW_TOKEN token, but relabelled
  // as a Retry token it is dropped (a Retry token that fails means the
  // client already had its Retry), never accepted.
  wire::packet_header initial;
  initial.type = wire::packet_type::initial;
  initial.token = token;
  wire::connection_id odcid;
  CHECK(v.admit(initial, client, t0, odcid) == initial_admission::accept_validated);
  CHECK(v.validate(initial, client, t0, odcid) == crypto::crypto_errc::token_invalid);
  auto as_retry = token;
  as_retry[0] = static_cast<std::byte>(token_kind::retry);
  initial.token = as_retry;
  CHECK(v.admit(initial, client, t0, odcid) == initial_admission::drop);
  initial.token = {};
  CHECK(v.admit(initial, client, t0, odcid) == initial_admission::send_retry);
  std::vector<std::byte> unknown_kind = token;
  unknown_kind[0] = std::byte{0x7f};
  initial.token = unknown_kind;
  CHECK(v.admit(initial, client, t0, odcid) == initial_admission::drop);
}

TEST_CASE("new_token: a client that sends NEW_TOKEN is closed with PROTOCOL_VIOLATION") {
  network net(pinned_configs());
  REQUIRE(net.handshake());
  const std::byte token[] = {std::byte{1}, std::byte{2}, std::byte{3}};
  connection_test_access::inject_frames(*net.client, encode_frame(wire::new_token_frame{token}));
  REQUIRE(net.run_until([&] { return net.server->state() != connection_state::established; }, 5s));
  CHECK(net.server->close_reason().error == core_errc::transport_error);
  CHECK(net.server->close_reason().code ==
        static_cast<std::uint64_t>(wire::transport_error::protocol_violation));
}

TEST_CASE("new_token: only an established server sends one, and a client keeps the last it received") {
  network net(pinned_configs());
  const std::byte token[] = {std::byte{9}};
  net.start();
  CHECK(net.client->send_new_token(token) == crypto::crypto_errc::invalid_argument);
  REQUIRE(net.handshake());
  CHECK(net.client->received_token().empty()); // no validator: the server sent none
  CHECK(net.server->send_new_token({}) == crypto::crypto_errc::invalid_argument);
  std::vector<std::byte> too_long(connection::max_new_token_length + 1);
  CHECK(net.server->send_new_token(too_long) == crypto::crypto_errc::invalid_argument);
  const auto a = pattern(40, 1);
  const auto b = pattern(60, 2);
  REQUIRE_FALSE(net.server->send_new_token(a));
  REQUIRE(net.run_until([&] { return net.client->received_token() == a; }, 1s));
  REQUIRE_FALSE(net.server->send_new_token(b));
  REQUIRE(net.run_until([&] { return net.client->received_token() == b; }, 1s));
}

TEST_CASE("new_token: a lost NEW_TOKEN is sent again") {
  address_validation v(10s);
  network net(pinned_configs());
  net.validator = &v;
  // The first datagrams the established server sends carry HANDSHAKE_DONE
  // and NEW_TOKEN: lose them.
  std::size_t dropped = 0;
  net.hook = [&](bool to_server, std::vector<std::byte>&) {
    if (to_server || !net.server || !net.server->is_established() || dropped >= 2) return true;
    ++dropped;
    return false;
  };
  REQUIRE(net.handshake());
  REQUIRE(net.run_until([&] { return !net.client->received_token().empty(); }, 5s));
  CHECK(dropped == 2);
  CHECK(net.client->received_token().size() == new_token_length);
}
