// Retry integrity tag and the stateless Retry token (see retry.hpp).
//
// Token on the wire: kind (1, token_kind::retry) || cookie (41 bytes,
// crypto::address_token_authority) || ODCID length (1) || ODCID. The
// cookie's MAC covers the kind and what the server must see again for the
// token to count: the client's IP and port, the ODCID and the Retry's Source
// Connection ID (the DCID of the client's next Initial).

#include "core/retry.hpp"

#include "crypto/crypto_error.hpp"
#include "crypto/hkdf.hpp"
#include "wire/writer.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <string_view>
#include <vector>

namespace tern::core {
namespace {

constexpr std::string_view integrity_label = "tern retry integrity";

std::span<const std::byte> label_bytes() noexcept {
  return std::as_bytes(std::span(integrity_label.data(), integrity_label.size()));
}

void append(std::vector<std::byte>& to, std::span<const std::byte> bytes) { to.insert(to.end(), bytes.begin(), bytes.end()); }

void append_cid(std::vector<std::byte>& to, const wire::connection_id& cid) {
  to.push_back(static_cast<std::byte>(cid.size()));
  append(to, cid.bytes());
}

constexpr std::size_t cookie_offset = 1;
constexpr std::size_t odcid_offset = cookie_offset + crypto::address_token_length;

/// The bytes the cookie's MAC binds: kind, family, IP, port, ODCID, Retry SCID.
std::vector<std::byte> token_context(const address& from, const wire::connection_id& original_dcid,
                                     const wire::connection_id& retry_scid) {
  std::vector<std::byte> c;
  c.reserve(2 + 16 + 2 + 2 * (1 + wire::max_connection_id_length));
  c.push_back(static_cast<std::byte>(token_kind::retry));
  c.push_back(static_cast<std::byte>(from.family));
  append(c, std::as_bytes(from.ip_bytes()));
  c.push_back(static_cast<std::byte>(from.port >> 8));
  c.push_back(static_cast<std::byte>(from.port & 0xff));
  append_cid(c, original_dcid);
  append_cid(c, retry_scid);
  return c;
}

} // namespace

std::error_code retry_integrity_tag(const wire::connection_id& original_dcid, std::span<const std::byte> retry_without_tag,
                                    std::span<std::byte, wire::retry_integrity_tag_length> out) noexcept {
  try {
    std::vector<std::byte> input;
    input.reserve(1 + original_dcid.size() + retry_without_tag.size());
    append_cid(input, original_dcid);
    append(input, retry_without_tag);
    std::array<std::byte, crypto::hkdf_hash_length> mac{};
    // HKDF-Extract is HMAC-SHA256(salt, ikm): the label is the fixed key.
    if (auto ec = crypto::hkdf_extract(label_bytes(), input, mac)) return ec;
    std::copy_n(mac.begin(), out.size(), out.begin());
    return {};
  } catch (...) {
    return crypto::crypto_errc::internal_error;
  }
}

bool retry_integrity_valid(const wire::connection_id& original_dcid, std::span<const std::byte> retry_packet) noexcept {
  if (retry_packet.size() < wire::retry_integrity_tag_length) return false;
  const auto body = retry_packet.first(retry_packet.size() - wire::retry_integrity_tag_length);
  const auto tag = retry_packet.last(wire::retry_integrity_tag_length);
  std::array<std::byte, wire::retry_integrity_tag_length> expected{};
  if (retry_integrity_tag(original_dcid, body, expected)) return false;
  return CRYPTO_memcmp(expected.data(), tag.data(), expected.size()) == 0;
}

std::size_t retry_validator::write_retry(const wire::packet_header& initial, const address& from,
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

std::error_code retry_validator::validate(const wire::packet_header& initial, const address& from, time_point now,
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

} // namespace tern::core
