// The Retry integrity tag (see retry.hpp).

#include "core/retry.hpp"

#include "core/byte_append.hpp"
#include "crypto/crypto_error.hpp"
#include "crypto/hkdf.hpp"

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

} // namespace

std::error_code retry_integrity_tag(const wire::connection_id& original_dcid, std::span<const std::byte> retry_without_tag,
                                    std::span<std::byte, wire::retry_integrity_tag_length> out) noexcept {
  try {
    std::vector<std::byte> input;
    input.reserve(1 + original_dcid.size() + retry_without_tag.size());
    append_length_prefixed(input, original_dcid);
    append_bytes(input, retry_without_tag);
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

} // namespace tern::core
