#include <doctest/doctest.h>

#include "crypto/crypto_error.hpp"
#include "crypto/header_protection.hpp"
#include "crypto_test_util.hpp"
#include "support/seed.hpp"

#include <tern/random.hpp>

#include <vector>

using namespace tern::crypto;
using tern::crypto::test::hex;
using tern::crypto::test::to_hex;

TEST_CASE("header_protection: AES mask reproduces RFC 9001 Appendix A.2") {
  header_protector hp;
  REQUIRE_FALSE(hp.set_key(aead_algorithm::aes_128_gcm, hex("9f50449e04a0e810283a1e9933adedd2")));
  std::array<std::byte, 5> mask{};
  REQUIRE_FALSE(hp.mask(hex("d1b1c98dd7689fb8ec11d242b123dc9b"), mask));
  CHECK(to_hex(mask) == "437b9aec36");
}

TEST_CASE("header_protection: ChaCha20 mask reproduces RFC 9001 Appendix A.5") {
  header_protector hp;
  REQUIRE_FALSE(hp.set_key(aead_algorithm::chacha20_poly1305,
                           hex("25a282b9e82f06f21f488917a4fc8f1b73573685608597d0efcb076b0ab7a7a4")));
  std::array<std::byte, 5> mask{};
  REQUIRE_FALSE(hp.mask(hex("5e5cd55c41f69080575d7999c25a5bfb"), mask));
  CHECK(to_hex(mask) == "aefefe7d03");
  // Repeated calls reuse the context and give the same answer.
  REQUIRE_FALSE(hp.mask(hex("5e5cd55c41f69080575d7999c25a5bfb"), mask));
  CHECK(to_hex(mask) == "aefefe7d03");
}

TEST_CASE("header_protection: apply masks only the chosen first-byte bits and the 2-byte packet number") {
  header_protector hp;
  REQUIRE_FALSE(hp.set_key(aead_algorithm::aes_128_gcm, hex("9f50449e04a0e810283a1e9933adedd2")));
  const auto sample = hex("d1b1c98dd7689fb8ec11d242b123dc9b"); // mask 43 7b 9a ec 36
  auto header = hex("c0aabbccdd0102");
  REQUIRE_FALSE(hp.apply(header, 5, long_header_protected_bits, sample));
  CHECK(to_hex(header) == "c3aabbccdd7a98"); // c0 ^ (43 & 0x0f), 01 ^ 7b, 02 ^ 9a
  REQUIRE_FALSE(hp.remove(header, 5, long_header_protected_bits, sample));
  CHECK(to_hex(header) == "c0aabbccdd0102");

  auto short_header = hex("40112233");
  REQUIRE_FALSE(hp.apply(short_header, 2, short_header_protected_bits, sample));
  CHECK(to_hex(short_header) == "431159a9"); // 40 ^ (43 & 0x1f), 22 ^ 7b, 33 ^ 9a
}

TEST_CASE("header_protection: round trip on whole packets for both algorithms") {
  tern::random_source rng{tern::test::seed()};
  for (const auto a : {aead_algorithm::aes_128_gcm, aead_algorithm::chacha20_poly1305}) {
    CAPTURE(to_string(a));
    std::vector<std::byte> key(aead_key_length(a));
    rng.fill(key);
    header_protector sender;
    header_protector receiver;
    REQUIRE_FALSE(sender.set_key(a, key));
    REQUIRE_FALSE(receiver.set_key(a, key));
    int changed = 0;
    for (int i = 0; i < 200; ++i) {
      const std::size_t pn_offset = 1 + rng.uniform(20);
      const unsigned bits = rng.uniform(2) == 0 ? short_header_protected_bits : long_header_protected_bits;
      std::vector<std::byte> packet(pn_offset + 2 + 16 + rng.uniform(100));
      rng.fill(packet);
      const auto original = packet;
      const auto header = std::span{packet}.first(pn_offset + 2);
      const auto sample = header_protection_sample(packet, pn_offset);
      REQUIRE(sample.size() == header_protection_sample_length);
      REQUIRE_FALSE(sender.apply(header, pn_offset, bits, sample));
      // Bits outside the protected ones never change.
      const auto keep = static_cast<std::byte>(0xff << bits);
      CHECK((packet[0] & keep) == (original[0] & keep));
      CHECK(std::equal(packet.begin() + 1, packet.begin() + static_cast<std::ptrdiff_t>(pn_offset),
                       original.begin() + 1));
      CHECK(std::equal(packet.begin() + static_cast<std::ptrdiff_t>(pn_offset + 2), packet.end(),
                       original.begin() + static_cast<std::ptrdiff_t>(pn_offset + 2)));
      changed += packet != original;
      REQUIRE_FALSE(receiver.remove(header, pn_offset, bits, header_protection_sample(packet, pn_offset)));
      CHECK(packet == original);
    }
    CHECK(changed > 190);
  }
}

TEST_CASE("header_protection: the null cipher leaves headers readable") {
  header_protector hp;
  REQUIRE_FALSE(hp.set_key(aead_algorithm::null_for_tests_only, std::vector<std::byte>(16)));
  auto header = hex("41aabb");
  REQUIRE_FALSE(hp.apply(header, 1, short_header_protected_bits, std::vector<std::byte>(16, std::byte{0x99})));
  CHECK(to_hex(header) == "41aabb");
}

TEST_CASE("header_protection: bad arguments are errors, never out-of-bounds accesses") {
  header_protector hp;
  auto header = hex("4011223344");
  const std::vector<std::byte> sample(16);
  CHECK(hp.apply(header, 1, 5, sample) == crypto_errc::key_unavailable);
  CHECK(hp.set_key(aead_algorithm::aes_128_gcm, std::vector<std::byte>(32)) == crypto_errc::invalid_argument);
  REQUIRE_FALSE(hp.set_key(aead_algorithm::aes_128_gcm, std::vector<std::byte>(16)));
  CHECK(hp.apply(header, 0, 5, sample) == crypto_errc::invalid_argument); // would mask byte 0 twice
  CHECK(hp.apply(header, 4, 5, sample) == crypto_errc::invalid_argument); // pn runs past the header
  CHECK(hp.apply(header, 99, 5, sample) == crypto_errc::invalid_argument);
  CHECK(hp.apply(header, 1, 0, sample) == crypto_errc::invalid_argument);
  CHECK(hp.apply(header, 1, 8, sample) == crypto_errc::invalid_argument);
  CHECK(hp.apply(header, 1, 5, std::span{sample}.first(15)) == crypto_errc::invalid_argument);
  CHECK(to_hex(header) == "4011223344");

  const std::vector<std::byte> packet(20);
  CHECK(header_protection_sample(packet, 2).size() == 16);
  CHECK(header_protection_sample(packet, 3).empty());
  CHECK(header_protection_sample(packet, ~std::size_t{0}).empty());
}
