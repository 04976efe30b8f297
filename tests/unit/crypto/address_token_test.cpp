#include <doctest/doctest.h>

#include "crypto/address_token.hpp"
#include "crypto/crypto_error.hpp"
#include "crypto_test_util.hpp"
#include "support/seed.hpp"

#include <tern/random.hpp>

#include <array>
#include <chrono>
#include <vector>

using namespace tern::crypto;
using namespace std::chrono_literals;
using tern::time_point;
using tern::crypto::test::hex;

namespace {

constexpr time_point t0{std::chrono::seconds{1000}};
const auto client_address = hex("c0000207" "1f90");     // 192.0.2.7:8080
const auto other_address = hex("c0000208" "1f90");      // 192.0.2.8:8080
const auto other_port = hex("c0000207" "1f91");

std::array<std::byte, address_token_length> issue(const address_token_authority& a, std::span<const std::byte> address,
                                                  time_point now) {
  std::array<std::byte, address_token_length> token{};
  REQUIRE_FALSE(a.issue(address, now, token));
  return token;
}

} // namespace

TEST_CASE("address_token: a fresh token is valid for its address until its lifetime ends") {
  address_token_authority authority{10s};
  const auto token = issue(authority, client_address, t0);
  CHECK_FALSE(authority.validate(token, client_address, t0));
  CHECK_FALSE(authority.validate(token, client_address, t0 + 10s));
  CHECK(authority.validate(token, client_address, t0 + 10s + 1us) == crypto_errc::token_expired);
  CHECK(authority.validate(token, client_address, t0 + 1h) == crypto_errc::token_expired);
}

TEST_CASE("address_token: a token for another address or port is invalid, not expired") {
  address_token_authority authority{10s};
  const auto token = issue(authority, client_address, t0);
  CHECK(authority.validate(token, other_address, t0) == crypto_errc::token_invalid);
  CHECK(authority.validate(token, other_port, t0) == crypto_errc::token_invalid);
  CHECK(authority.validate(token, {}, t0) == crypto_errc::token_invalid);
}

TEST_CASE("address_token: any modified bit makes a forgery, even one that tries to refresh the time") {
  address_token_authority authority{10s};
  const auto token = issue(authority, client_address, t0);
  for (std::size_t bit = 0; bit < token.size() * 8; ++bit) {
    auto forged = token;
    forged[bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
    CAPTURE(bit);
    // Validated long after expiry: a forgery must still say "invalid", since
    // the MAC is checked before the time.
    CHECK(authority.validate(forged, client_address, t0 + 1h) == crypto_errc::token_invalid);
  }
  tern::random_source rng{tern::test::seed()};
  std::array<std::byte, address_token_length> random_token{};
  for (int i = 0; i < 100; ++i) {
    rng.fill(random_token);
    CHECK(authority.validate(random_token, client_address, t0) == crypto_errc::token_invalid);
  }
  CHECK(authority.validate(std::span{token}.first(address_token_length - 1), client_address, t0) ==
        crypto_errc::token_invalid);
  CHECK(authority.validate({}, client_address, t0) == crypto_errc::token_invalid);
}

TEST_CASE("address_token: tokens from another server secret are invalid") {
  address_token_authority a{10s};
  address_token_authority b{10s};
  const auto token = issue(a, client_address, t0);
  CHECK(b.validate(token, client_address, t0) == crypto_errc::token_invalid);
}

TEST_CASE("address_token: tokens survive exactly one secret rotation") {
  address_token_authority authority{1h};
  const auto before = issue(authority, client_address, t0);
  REQUIRE_FALSE(authority.rotate());
  const auto after = issue(authority, client_address, t0 + 1s);
  CHECK(before != after);
  CHECK_FALSE(authority.validate(before, client_address, t0 + 2s)); // previous secret
  CHECK_FALSE(authority.validate(after, client_address, t0 + 2s));  // current secret
  REQUIRE_FALSE(authority.rotate());
  CHECK(authority.validate(before, client_address, t0 + 3s) == crypto_errc::token_invalid); // secret gone
  CHECK_FALSE(authority.validate(after, client_address, t0 + 3s));
}

TEST_CASE("address_token: caller-provided secrets make tokens reproducible") {
  const std::vector<std::byte> secret(address_token_secret_length, std::byte{0x5c});
  address_token_authority a{10s};
  address_token_authority b{10s};
  REQUIRE_FALSE(a.rotate(secret));
  REQUIRE_FALSE(b.rotate(secret));
  const auto token = issue(a, client_address, t0);
  CHECK(token == issue(b, client_address, t0));
  CHECK_FALSE(b.validate(token, client_address, t0 + 1s));
  CHECK(a.rotate(std::span{secret}.first(16)) == crypto_errc::invalid_argument);
}

TEST_CASE("address_token: a token claiming a future issue time is invalid and small buffers are refused") {
  address_token_authority authority{10s};
  const auto token = issue(authority, client_address, t0 + 5s);
  CHECK(authority.validate(token, client_address, t0) == crypto_errc::token_invalid);
  std::array<std::byte, address_token_length - 1> small{};
  CHECK(authority.issue(client_address, t0, small) == crypto_errc::invalid_argument);
}
