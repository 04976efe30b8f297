#include <doctest/doctest.h>

#include "rfc5769_vectors.hpp"

#include "stun/demux.hpp"

#include <array>

using namespace tern::stun;

TEST_CASE("demux: first bytes 0-3 are STUN, everything else is not (RFC 7983)") {
  for (unsigned b = 0; b < 256; ++b) {
    CAPTURE(b);
    CHECK(is_stun(static_cast<std::uint8_t>(b)) == (b <= 3));
  }
  CHECK(is_stun(test::bytes_of(test::sample_request)));
  CHECK(is_stun(test::bytes_of(test::sample_ipv4_response)));
  CHECK_FALSE(is_stun(std::span<const std::byte>{}));
  const std::array<std::byte, 2> tern_like{std::byte{0x40}, std::byte{0x00}};
  CHECK_FALSE(is_stun(tern_like));
}
