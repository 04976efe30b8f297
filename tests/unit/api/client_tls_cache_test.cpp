// client_tls_cache: a context is reused only for the same verification
// options, and the cache stays bounded.
#include "api/client_tls_cache.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <memory>
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

// A cache under a default config and no client identity.
struct fixture {
  client_tls_cache cache;
  std::error_code ec;
  std::shared_ptr<const tern::crypto::tls_context> get(const tern::connect_options& o) {
    return cache.get(tern::config{}, o, tern::crypto::tls_identity{}, ec);
  }
};

} // namespace

TEST_CASE("client_tls_cache: the same options get the same context, other verification another") {
  fixture f;
  const auto a = f.get(pinned(1));
  REQUIRE_FALSE(f.ec);
  REQUIRE(a);
  CHECK(f.get(pinned(1)) == a);
  CHECK(f.get(pinned(2)) != a);
  tern::connect_options any;
  any.accept_any_server_key = true;
  const auto b = f.get(any);
  REQUIRE(b);
  CHECK(b != a);
  tern::connect_options any_with_alpn = any;
  any_with_alpn.alpn = {"x"};
  CHECK(f.get(any_with_alpn) != b);
  tern::connect_options any_with_name = any;
  any_with_name.server_name = "example";
  CHECK(f.get(any_with_name) != b);
  CHECK(f.cache.size() == 5);
}

TEST_CASE("client_tls_cache: bounded, the least recently used context goes first") {
  fixture f;
  const auto first = f.get(pinned(0));
  const auto second = f.get(pinned(1));
  for (unsigned n = 2; n < client_tls_cache::capacity; ++n) REQUIRE(f.get(pinned(n)));
  CHECK(f.get(pinned(0)) == first); // used again: now the most recent
  REQUIRE(f.get(pinned(100)));      // one over: pinned(1) leaves
  CHECK(f.cache.size() == client_tls_cache::capacity);
  CHECK(f.get(pinned(0)) == first);
  CHECK(f.get(pinned(1)) != second); // built again
}

TEST_CASE("client_tls_cache: a malformed pin is an error and nothing is kept") {
  fixture f;
  tern::connect_options o;
  o.pinned_fingerprints = {"not a fingerprint"};
  CHECK_FALSE(f.get(o));
  CHECK(f.ec);
  CHECK(f.cache.size() == 0);
}
