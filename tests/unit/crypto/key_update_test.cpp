#include <doctest/doctest.h>

#include "crypto/crypto_error.hpp"
#include "crypto/key_update.hpp"
#include "crypto_test_util.hpp"
#include "support/seed.hpp"

#include <tern/random.hpp>

#include <chrono>
#include <vector>

using namespace tern::crypto;
using namespace std::chrono_literals;
using tern::time_point;

namespace {

constexpr time_point t0{std::chrono::seconds{100}};

struct sealed_packet {
  std::vector<std::byte> bytes;
  std::uint64_t pn = 0;
  bool key_phase = false;
};

constexpr std::size_t header_length = 4;

sealed_packet seal(one_rtt_keys& from, std::uint64_t pn) {
  sealed_packet p;
  p.pn = pn;
  p.key_phase = from.send_key_phase();
  p.bytes.resize(header_length + 32 + aead_tag_length);
  for (std::size_t i = 0; i < header_length + 32; ++i) p.bytes[i] = static_cast<std::byte>(i * 7 + pn);
  REQUIRE_FALSE(from.seal(pn, std::span{p.bytes}.first(header_length), std::span{p.bytes}.subspan(header_length)));
  return p;
}

std::error_code open(one_rtt_keys& to, sealed_packet p, time_point now = t0) {
  return to.open(p.key_phase, p.pn, std::span{p.bytes}.first(header_length), std::span{p.bytes}.subspan(header_length),
                 now);
}

struct endpoints {
  one_rtt_keys client;
  one_rtt_keys server;
};

void install(endpoints& e, const key_update_config& config = {}, aead_algorithm a = aead_algorithm::aes_128_gcm) {
  tern::random_source rng{tern::test::seed()};
  traffic_secret c2s{};
  traffic_secret s2c{};
  rng.fill(c2s);
  rng.fill(s2c);
  REQUIRE_FALSE(e.client.install(a, {c2s, s2c}, config));
  REQUIRE_FALSE(e.server.install(a, {s2c, c2s}, config));
}

} // namespace

TEST_CASE("key_update: generation 0 packets cross in both directions with key phase 0") {
  endpoints e;
  install(e);
  const auto p = seal(e.client, 1);
  CHECK_FALSE(p.key_phase);
  CHECK_FALSE(open(e.server, p));
  CHECK_FALSE(open(e.client, seal(e.server, 1)));
  CHECK(e.client.send_generation() == 0);
  CHECK(e.server.receive_generation() == 0);
}

TEST_CASE("key_update: an update needs an acknowledgement of a packet sent under the current key") {
  endpoints e;
  install(e);
  CHECK_FALSE(e.client.can_initiate_update());
  CHECK(e.client.initiate_update() == crypto_errc::key_update_not_allowed);
  (void)seal(e.client, 5);
  e.client.on_packet_acknowledged(4); // sent before: does not count
  CHECK_FALSE(e.client.can_initiate_update());
  e.client.on_packet_acknowledged(5);
  CHECK(e.client.can_initiate_update());
}

TEST_CASE("key_update: initiated by the client, followed by the server, old keys kept until discarded") {
  endpoints e;
  install(e);
  e.client.set_old_key_retention(300ms);
  e.server.set_old_key_retention(300ms);

  CHECK_FALSE(open(e.server, seal(e.client, 1)));
  const auto delayed_old = seal(e.client, 2); // generation 0, delivered late
  e.client.on_packet_acknowledged(1);
  REQUIRE_FALSE(e.client.initiate_update());
  CHECK(e.client.send_generation() == 1);
  CHECK(e.client.send_key_phase());
  CHECK(e.client.receive_generation() == 0); // until the server answers
  CHECK_FALSE(e.client.can_initiate_update());

  // The first new-phase packet makes the server follow (and answer).
  const auto first_new = seal(e.client, 3);
  CHECK(first_new.key_phase);
  CHECK_FALSE(open(e.server, first_new, t0));
  CHECK(e.server.receive_generation() == 1);
  CHECK(e.server.send_generation() == 1);
  CHECK(e.server.has_previous_key());
  CHECK(e.server.next_timeout() == t0 + 300ms);

  // A reordered generation-0 packet still opens with the previous key.
  CHECK_FALSE(open(e.server, delayed_old, t0 + 100ms));
  CHECK(e.server.receive_generation() == 1);

  // The server's answer moves the client's receive side too.
  const auto answer = seal(e.server, 1);
  CHECK(answer.key_phase);
  CHECK_FALSE(open(e.client, answer, t0 + 10ms));
  CHECK(e.client.receive_generation() == 1);
  CHECK(e.client.send_generation() == 1); // not bumped twice

  // Before the deadline nothing is discarded; at the deadline it is.
  e.server.on_timeout(t0 + 299ms);
  CHECK(e.server.has_previous_key());
  e.server.on_timeout(t0 + 300ms);
  CHECK_FALSE(e.server.has_previous_key());
  CHECK(e.server.next_timeout() == tern::never);
  CHECK(open(e.server, delayed_old, t0 + 400ms) == crypto_errc::key_unavailable);
  CHECK(e.server.authentication_failures() == 0); // dropped, not counted

  // New-generation traffic continues to flow.
  CHECK_FALSE(open(e.server, seal(e.client, 4)));
  CHECK_FALSE(open(e.client, seal(e.server, 2)));
}

TEST_CASE("key_update: a second update flips the key phase back to 0") {
  endpoints e;
  install(e);
  e.client.set_old_key_retention(1s);
  e.server.set_old_key_retention(1s);
  std::uint64_t cpn = 0;
  std::uint64_t spn = 0;
  for (int generation = 1; generation <= 4; ++generation) {
    CAPTURE(generation);
    const auto now = t0 + std::chrono::seconds{10 * generation};
    const auto p = seal(e.client, ++cpn);
    CHECK_FALSE(open(e.server, p, now));
    e.client.on_packet_acknowledged(p.pn);
    e.client.on_timeout(now); // the previous update's old key expired long ago
    REQUIRE(e.client.can_initiate_update());
    REQUIRE_FALSE(e.client.initiate_update());
    const auto q = seal(e.client, ++cpn);
    CHECK(q.key_phase == (generation % 2 == 1));
    CHECK_FALSE(open(e.server, q, now));
    CHECK_FALSE(open(e.client, seal(e.server, ++spn), now));
    CHECK(e.client.receive_generation() == static_cast<std::uint64_t>(generation));
    CHECK(e.server.receive_generation() == static_cast<std::uint64_t>(generation));
    e.server.on_timeout(now + 1s);
  }
}

TEST_CASE("key_update: the server may initiate too") {
  endpoints e;
  install(e);
  const auto p = seal(e.server, 7);
  CHECK_FALSE(open(e.client, p));
  e.server.on_packet_acknowledged(7);
  REQUIRE_FALSE(e.server.initiate_update());
  CHECK_FALSE(open(e.client, seal(e.server, 8)));
  CHECK(e.client.send_generation() == 1);
  CHECK_FALSE(open(e.server, seal(e.client, 1)));
  CHECK(e.server.receive_generation() == 1);
}

TEST_CASE("key_update: a forged packet with the other key phase fails and changes nothing") {
  endpoints e;
  install(e);
  auto p = seal(e.client, 10);
  p.key_phase = !p.key_phase; // looks like an update, but is not under the next key
  CHECK(open(e.server, p) == crypto_errc::authentication_failed);
  CHECK(e.server.receive_generation() == 0);
  CHECK(e.server.send_generation() == 0);
  CHECK(e.server.authentication_failures() == 1);
  CHECK_FALSE(open(e.server, seal(e.client, 11)));
}

TEST_CASE("key_update: the peer updating again while the previous key is still held") {
  endpoints e;
  install(e);
  e.server.set_old_key_retention(10s);
  CHECK_FALSE(open(e.server, seal(e.client, 1)));
  e.client.on_packet_acknowledged(1);
  REQUIRE_FALSE(e.client.initiate_update());
  CHECK_FALSE(open(e.server, seal(e.client, 2)));
  CHECK_FALSE(open(e.client, seal(e.server, 1)));
  e.client.on_packet_acknowledged(2);
  e.client.on_timeout(t0 + 20s);
  REQUIRE_FALSE(e.client.initiate_update()); // generation 2, server still holds generation 0
  REQUIRE(e.server.has_previous_key());
  CHECK_FALSE(open(e.server, seal(e.client, 3), t0 + 1s));
  CHECK(e.server.receive_generation() == 2);
  CHECK(e.server.has_previous_key());
  CHECK(e.server.next_timeout() == t0 + 11s);
}

TEST_CASE("key_update: usage limits signal a due update and stop sealing at the confidentiality limit") {
  endpoints e;
  key_update_config config;
  config.update_threshold = 5;
  config.confidentiality_limit = 8;
  install(e, config);
  std::uint64_t pn = 0;
  for (int i = 0; i < 4; ++i) CHECK_FALSE(open(e.server, seal(e.client, ++pn)));
  CHECK_FALSE(e.client.key_update_due());
  CHECK_FALSE(open(e.server, seal(e.client, ++pn)));
  CHECK(e.client.key_update_due());
  CHECK(e.client.packets_sealed_with_current_key() == 5);
  for (int i = 0; i < 3; ++i) (void)seal(e.client, ++pn);
  CHECK(e.client.confidentiality_limit_reached());
  std::vector<std::byte> buffer(40);
  CHECK(e.client.seal(++pn, std::span{buffer}.first(4), std::span{buffer}.subspan(4)) ==
        crypto_errc::usage_limit_reached);

  e.client.on_packet_acknowledged(1);
  REQUIRE_FALSE(e.client.initiate_update());
  CHECK_FALSE(e.client.key_update_due());
  CHECK_FALSE(e.client.confidentiality_limit_reached());
  CHECK(e.client.packets_sealed_with_current_key() == 0);
  CHECK_FALSE(open(e.server, seal(e.client, ++pn)));
}

TEST_CASE("key_update: the integrity limit counts failures across all keys and then stops opening") {
  endpoints e;
  key_update_config config;
  config.integrity_limit = 3;
  install(e, config);
  auto good = seal(e.client, 1);
  for (int i = 0; i < 3; ++i) {
    auto bad = good;
    bad.bytes.back() ^= std::byte{1};
    bad.key_phase = i % 2 == 1; // current and next keys both count
    CHECK(open(e.server, bad) == crypto_errc::authentication_failed);
  }
  CHECK(e.server.authentication_failures() == 3);
  CHECK(e.server.integrity_limit_reached());
  CHECK(open(e.server, good) == crypto_errc::usage_limit_reached);
}

TEST_CASE("key_update: RFC 9001 usage limits per AEAD and the default update threshold") {
  CHECK(rfc9001_usage_limits(aead_algorithm::aes_128_gcm).confidentiality == (std::uint64_t{1} << 23));
  CHECK(rfc9001_usage_limits(aead_algorithm::aes_128_gcm).integrity == (std::uint64_t{1} << 52));
  CHECK(rfc9001_usage_limits(aead_algorithm::chacha20_poly1305).confidentiality == (std::uint64_t{1} << 62));
  CHECK(rfc9001_usage_limits(aead_algorithm::chacha20_poly1305).integrity == (std::uint64_t{1} << 36));
  endpoints e;
  install(e, {}, aead_algorithm::chacha20_poly1305);
  CHECK(e.client.limits().integrity == (std::uint64_t{1} << 36));
  CHECK_FALSE(e.client.key_update_due());
  CHECK_FALSE(open(e.server, seal(e.client, 1)));
}

TEST_CASE("key_update: nothing works before install") {
  one_rtt_keys keys;
  std::vector<std::byte> buffer(40);
  CHECK(keys.seal(0, std::span{buffer}.first(4), std::span{buffer}.subspan(4)) == crypto_errc::key_unavailable);
  CHECK(keys.open(false, 0, std::span{buffer}.first(4), std::span{buffer}.subspan(4), t0) ==
        crypto_errc::key_unavailable);
  CHECK_FALSE(keys.can_initiate_update());
  CHECK_FALSE(keys.key_update_due());
  CHECK(keys.next_timeout() == tern::never);
}
