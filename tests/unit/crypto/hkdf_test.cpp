#include <doctest/doctest.h>

#include "crypto/crypto_error.hpp"
#include "crypto/hkdf.hpp"
#include "crypto_test_util.hpp"

#include <array>
#include <vector>

using namespace tern::crypto;
using tern::crypto::test::hex;
using tern::crypto::test::to_hex;

TEST_CASE("hkdf: RFC 5869 test case 1 (SHA-256)") {
  const auto ikm = hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
  const auto salt = hex("000102030405060708090a0b0c");
  const auto info = hex("f0f1f2f3f4f5f6f7f8f9");
  std::array<std::byte, 32> prk{};
  REQUIRE_FALSE(hkdf_extract(salt, ikm, prk));
  CHECK(to_hex(prk) == "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
  std::vector<std::byte> okm(42);
  REQUIRE_FALSE(hkdf_expand(prk, info, okm));
  CHECK(to_hex(okm) == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST_CASE("hkdf: HKDF-Expand-Label reproduces RFC 9001 Appendix A.1 Initial secrets") {
  // The QUIC v1 salt and labels, to check tern's Expand-Label encoding
  // against published values; tern's own labels use the same function.
  const auto quic_salt = hex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a");
  const auto dcid = hex("8394c8f03e515708");
  std::array<std::byte, 32> initial{};
  REQUIRE_FALSE(hkdf_extract(quic_salt, dcid, initial));
  CHECK(to_hex(initial) == "7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44");

  std::array<std::byte, 32> client{};
  std::array<std::byte, 32> server{};
  REQUIRE_FALSE(hkdf_expand_label(initial, "client in", {}, client));
  REQUIRE_FALSE(hkdf_expand_label(initial, "server in", {}, server));
  CHECK(to_hex(client) == "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea");
  CHECK(to_hex(server) == "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b");

  std::array<std::byte, 16> key{};
  std::array<std::byte, 12> iv{};
  std::array<std::byte, 16> hp{};
  REQUIRE_FALSE(hkdf_expand_label(client, "quic key", {}, key));
  REQUIRE_FALSE(hkdf_expand_label(client, "quic iv", {}, iv));
  REQUIRE_FALSE(hkdf_expand_label(client, "quic hp", {}, hp));
  CHECK(to_hex(key) == "1f369613dd76d5467730efcbe3b1a22d");
  CHECK(to_hex(iv) == "fa044b2f42a3fd3b46fb255c");
  CHECK(to_hex(hp) == "9f50449e04a0e810283a1e9933adedd2");
}

TEST_CASE("hkdf: RFC 9001 Appendix A.5 key update label expansion") {
  const auto secret = hex("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b");
  std::array<std::byte, 32> ku{};
  REQUIRE_FALSE(hkdf_expand_label(secret, "quic ku", {}, ku));
  CHECK(to_hex(ku) == "1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9");
}

TEST_CASE("hkdf: contexts change the output and bad arguments are refused") {
  const auto secret = hex("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b");
  std::array<std::byte, 32> a{};
  std::array<std::byte, 32> b{};
  REQUIRE_FALSE(hkdf_expand_label(secret, "tern key", {}, a));
  const auto context = hex("01");
  REQUIRE_FALSE(hkdf_expand_label(secret, "tern key", context, b));
  CHECK(a != b);

  std::array<std::byte, 32> prk{};
  CHECK(hkdf_extract(secret, {}, prk) == crypto_errc::invalid_argument);
  CHECK(hkdf_expand(std::span{secret}.first(16), {}, a) == crypto_errc::invalid_argument);
  std::vector<std::byte> too_long(255 * 32 + 1);
  CHECK(hkdf_expand(secret, {}, too_long) == crypto_errc::invalid_argument);
  const std::string long_label(250, 'x');
  CHECK(hkdf_expand_label(secret, long_label, {}, a) == crypto_errc::invalid_argument);
}
