#include <doctest/doctest.h>

#include "crypto/sha256.hpp"
#include "crypto_test_util.hpp"

#include <string_view>
#include <vector>

using namespace tern::crypto;
using tern::crypto::test::to_hex;

namespace {

std::span<const std::byte> bytes_of(std::string_view s) { return std::as_bytes(std::span{s}); }

// FIPS 180-2 appendix B.1 (one block) and B.2 (two blocks), and the empty
// message.
constexpr std::string_view abc_digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr std::string_view two_block_input = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
constexpr std::string_view two_block_digest =
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
constexpr std::string_view empty_digest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

} // namespace

TEST_CASE("sha256: the NIST vectors, in one piece") {
  sha256_digest d{};
  REQUIRE_FALSE(sha256(bytes_of("abc"), d));
  CHECK(to_hex(d) == abc_digest);
  REQUIRE_FALSE(sha256(bytes_of(two_block_input), d));
  CHECK(to_hex(d) == two_block_digest);
  REQUIRE_FALSE(sha256({}, d));
  CHECK(to_hex(d) == empty_digest);
}

TEST_CASE("sha256_hasher: pieces hash like the whole, the digest so far does not end the hash") {
  sha256_hasher h;
  CHECK(to_hex(h.digest()) == empty_digest);
  h.update(bytes_of("ab"));
  const sha256_digest ab = h.digest();
  h.update(bytes_of("c"));
  CHECK(to_hex(h.digest()) == abc_digest);
  CHECK(to_hex(h.digest()) == abc_digest); // asking twice changes nothing

  sha256_digest whole{};
  REQUIRE_FALSE(sha256(bytes_of("ab"), whole));
  CHECK(ab == whole);

  // Byte by byte across the 64-byte block boundary.
  h.reset();
  for (const char c : two_block_input) h.update(bytes_of({&c, 1}));
  CHECK(to_hex(h.digest()) == two_block_digest);
}

TEST_CASE("sha256_hasher: reset forgets what came before") {
  sha256_hasher h;
  h.update(bytes_of("something else"));
  h.reset();
  h.update(bytes_of("abc"));
  CHECK(to_hex(h.digest()) == abc_digest);
}
