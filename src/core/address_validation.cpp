// Address validation (see address_validation.hpp).
//
// Retry token on the wire: kind (1, token_kind::retry) || cookie (41 bytes,
// crypto::address_token_authority) || ODCID length (1) || ODCID. The
// cookie's MAC covers the kind and what the server must see again for the
// token to count: the client's IP and port, the ODCID and the Retry's Source
// Connection ID (the DCID of the client's next Initial). Lifetime: the
// Retry token lifetime.
//
// NEW_TOKEN token on the wire: kind (1, token_kind::new_token) || cookie (41
// bytes). The cookie's MAC covers the kind, the address family and the
// client's IP, not its port (a client behind a NAT comes back from another
// port) and no connection ID (the token is for a connection that does not
// exist yet). Lifetime: new_token_lifetime.

#include "core/address_validation.hpp"

#include "core/byte_append.hpp"
#include "crypto/crypto_error.hpp"
#include "wire/writer.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace tern::core {
namespace {

constexpr std::size_t cookie_offset = 1;
constexpr std::size_t odcid_offset = cookie_offset + crypto::address_token_length;

/// The bytes the cookie's MAC binds: kind, family, IP, port, ODCID, Retry SCID.
std::vector<std::byte> token_context(const address& from, const wire::connection_id& original_dcid,
                                     const wire::connection_id& retry_scid) {
  std::vector<std::byte> c;
  c.reserve(2 + 16 + 2 + 2 * (1 + wire::max_connection_id_length));
  c.push_back(static_cast<std::byte>(token_kind::retry));
  c.push_back(static_cast<std::byte>(from.family));
  append_bytes(c, std::as_bytes(from.ip_bytes()));
  c.push_back(static_cast<std::byte>(from.port >> 8));
  c.push_back(static_cast<std::byte>(from.port & 0xff));
  append_length_prefixed(c, original_dcid);
  append_length_prefixed(c, retry_scid);
  return c;
}


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

std::size_t address_validation::write_retry(const wire::packet_header& initial, const address& from,
                                         std::size_t cid_length, random_source& rng, time_point now,
                                         std::span<std::byte> out, std::error_code& ec) const {
  ec.clear();
  try {
    std::array<std::byte, wire::max_connection_id_length> scid_bytes{};
    const auto scid_span = std::span(scid_bytes).first(std::min(cid_length, wire::max_connection_id_length));
    rng.fill(scid_span);
    wire::connection_id retry_scid;
    (void)wire::connection_id::from_bytes(scid_span, retry_scid);

    std::array<std::byte, retry_token_max_length> token{};
    const auto context = token_context(from, initial.dcid, retry_scid);
    token[0] = static_cast<std::byte>(token_kind::retry);
    if ((ec = authority_.issue(context, now, std::span(token).subspan(cookie_offset)))) return 0;
    std::size_t token_length = odcid_offset;
    token[token_length++] = static_cast<std::byte>(initial.dcid.size());
    std::copy(initial.dcid.bytes().begin(), initial.dcid.bytes().end(), token.begin() + token_length);
    token_length += initial.dcid.size();

    wire::packet_header retry;
    retry.type = wire::packet_type::retry;
    retry.version = initial.version;
    retry.dcid = initial.scid;
    retry.scid = retry_scid;
    retry.token = std::span<const std::byte>(token).first(token_length);
    wire::writer w(out);
    if ((ec = wire::encode_header(w, retry, 0))) return 0;
    const std::size_t size = w.position();
    // encode_header wrote a zero tag last: replace it with the real one.
    const auto body = out.first(size - wire::retry_integrity_tag_length);
    if ((ec = retry_integrity_tag(initial.dcid, body,
                                  out.subspan(size - wire::retry_integrity_tag_length)
                                      .first<wire::retry_integrity_tag_length>())))
      return 0;
    return size;
  } catch (...) {
    ec = crypto::crypto_errc::internal_error;
    return 0;
  }
}

std::error_code address_validation::validate(const wire::packet_header& initial, const address& from, time_point now,
                                          wire::connection_id& original_dcid) const noexcept {
  const auto token = initial.token;
  if (token.size() < odcid_offset + 1 || token[0] != static_cast<std::byte>(token_kind::retry))
    return crypto::crypto_errc::token_invalid;
  const auto odcid_length = std::to_integer<std::size_t>(token[odcid_offset]);
  const auto odcid_bytes = token.subspan(odcid_offset + 1);
  if (odcid_bytes.size() != odcid_length || odcid_length < 8) return crypto::crypto_errc::token_invalid;
  wire::connection_id odcid;
  if (wire::connection_id::from_bytes(odcid_bytes, odcid)) return crypto::crypto_errc::token_invalid;
  try {
    const auto context = token_context(from, odcid, initial.dcid);
    if (auto ec = authority_.validate(token.subspan(cookie_offset, crypto::address_token_length), context, now))
      return ec;
  } catch (...) {
    return crypto::crypto_errc::internal_error;
  }
  original_dcid = odcid;
  return {};
}


std::error_code address_validation::write_new_token(const address& client, time_point now,
                                                 std::span<std::byte> out) const noexcept {
  if (out.size() < new_token_length) return crypto::crypto_errc::invalid_argument;
  out[0] = static_cast<std::byte>(token_kind::new_token);
  return authority_.issue(context_of(client), now, out.subspan(cookie_offset, crypto::address_token_length));
}

std::error_code address_validation::validate_new_token(std::span<const std::byte> token, const address& from,
                                                    time_point now) const noexcept {
  if (token.size() != new_token_length || token[0] != static_cast<std::byte>(token_kind::new_token))
    return crypto::crypto_errc::token_invalid;
  return authority_.validate(token.subspan(cookie_offset), context_of(from), now, new_token_lifetime_);
}

initial_admission address_validation::admit(const wire::packet_header& initial, const address& from,
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
