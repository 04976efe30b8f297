// client_tls_cache: a context is reused only for the same verification
// options, and the cache stays bounded.
#include "api/client_tls_cache.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <string>

namespace {

using tern::detail::client_tls_cache;

// A well-formed pin (SHA-256 of an SPKI, colon-separated hex), distinct per n.
std::string pin(unsigned n) {
  std::string out;
  for (unsigned i = 0; i < 32; ++i) {
    char byte[4];
    std::snprintf(byte, sizeof byte, "%02X", (n + i) & 0xff);
    if (!out.empty()) out += ':';
    out += byte;
  }
  return out;
}

tern::connect_options pinned(unsigned n) {
  tern::connect_options o;
  o.pinned_fingerprints = {pin(n)};
  return o;
}

} // namespace

TEST_CASE("client_tls_cache: the same options get the same context, other verification another") {
  client_tls_cache cache;
  const tern::config cfg;
  const tern::crypto::tls_identity none;
  std::error_code ec;
  const auto a = cache.get(cfg, pinned(1), none, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(a);
  CHECK(cache.get(cfg, pinned(1), none, ec) == a);
  CHECK(cache.get(cfg, pinned(2), none, ec) != a);
  tern::connect_options any;
  any.accept_any_server_key = true;
  const auto b = cache.get(cfg, any, none, ec);
  REQUIRE(b);
  CHECK(b != a);
  tern::connect_options any_with_alpn = any;
  any_with_alpn.alpn = {"x"};
  CHECK(cache.get(cfg, any_with_alpn, none, ec) != b);
  tern::connect_options any_with_name = any;
  any_with_name.server_name = "example";
  CHECK(cache.get(cfg, any_with_name, none, ec) != b);
  CHECK(cache.size() == 5);
}

TEST_CASE("client_tls_cache: bounded, the least recently used context goes first") {
  client_tls_cache cache;
  const tern::config cfg;
  const tern::crypto::tls_identity none;
  std::error_code ec;
  const auto first = cache.get(cfg, pinned(0), none, ec);
  const auto second = cache.get(cfg, pinned(1), none, ec);
  for (unsigned n = 2; n < client_tls_cache::capacity; ++n) REQUIRE(cache.get(cfg, pinned(n), none, ec));
  CHECK(cache.get(cfg, pinned(0), none, ec) == first); // used again: now the most recent
  REQUIRE(cache.get(cfg, pinned(100), none, ec));      // one over: pinned(1) leaves
  CHECK(cache.size() == client_tls_cache::capacity);
  CHECK(cache.get(cfg, pinned(0), none, ec) == first);
  CHECK(cache.get(cfg, pinned(1), none, ec) != second); // built again
}

TEST_CASE("client_tls_cache: a malformed pin is an error and nothing is kept") {
  client_tls_cache cache;
  tern::connect_options o;
  o.pinned_fingerprints = {"not a fingerprint"};
  std::error_code ec;
  CHECK_FALSE(cache.get(tern::config{}, o, tern::crypto::tls_identity{}, ec));
  CHECK(ec);
  CHECK(cache.size() == 0);
}
