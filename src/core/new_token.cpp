// NEW_TOKEN tokens (see retry.hpp), and the server's sorting of first
// Initials by the kind of token they carry.
//
// Token on the wire: kind (1, token_kind::new_token) || cookie (41 bytes,
// crypto::address_token_authority). The cookie's MAC covers the kind, the
// address family and the client's IP, not its port (a client behind a NAT
// comes back from another port) and no connection ID (the token is for a
// connection that does not exist yet). Lifetime: new_token_lifetime.

#include "core/retry.hpp"

#include "crypto/crypto_error.hpp"

#include <algorithm>
#include <array>

namespace tern::core {
namespace {

constexpr std::size_t cookie_offset = 1;

/// The bytes the cookie's MAC binds: kind, family, IP. Fixed size, so no
/// allocation on the path that runs before any state exists.
using new_token_context = std::array<std::byte, 2 + 16>;

new_token_context context_of(const address& client) noexcept {
  new_token_context c{};
  c[0] = static_cast<std::byte>(token_kind::new_token);
  c[1] = static_cast<std::byte>(client.family);
  const auto ip = std::as_bytes(client.ip_bytes());
  std::copy_n(ip.begin(), std::min(ip.size(), c.size() - 2), c.begin() + 2);
  return c;
}

} // namespace

std::error_code retry_validator::write_new_token(const address& client, time_point now,
                                                 std::span<std::byte> out) const noexcept {
  if (out.size() < new_token_length) return crypto::crypto_errc::invalid_argument;
  out[0] = static_cast<std::byte>(token_kind::new_token);
  return authority_.issue(context_of(client), now, out.subspan(cookie_offset, crypto::address_token_length));
}

std::error_code retry_validator::validate_new_token(std::span<const std::byte> token, const address& from,
                                                    time_point now) const noexcept {
  if (token.size() != new_token_length || token[0] != static_cast<std::byte>(token_kind::new_token))
    return crypto::crypto_errc::token_invalid;
  return authority_.validate(token.subspan(cookie_offset), context_of(from), now, new_token_lifetime_);
}

initial_admission retry_validator::admit(const wire::packet_header& initial, const address& from,
                                         time_point now, wire::connection_id& original_dcid) const noexcept {
  if (initial.token.empty()) return initial_admission::send_retry;
  switch (static_cast<token_kind>(std::to_integer<std::uint8_t>(initial.token[0]))) {
  case token_kind::new_token:
    // Not an error when it fails: a client may hold a token from before a
    // restart, from another server of the name, or one gone stale.
    return validate_new_token(initial.token, from, now) ? initial_admission::send_retry
                                                        : initial_admission::accept_validated;
  case token_kind::retry:
    return validate(initial, from, now, original_dcid) ? initial_admission::drop
                                                       : initial_admission::accept_after_retry;
  }
  return initial_admission::drop;
}

} // namespace tern::core
