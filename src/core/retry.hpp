#pragma once

// The Retry Integrity Tag (docs/protocol.md §4.5): computed by the server
// for each Retry (core/address_validation.hpp) and checked by the client
// before it follows one (connection_retry.cpp).

#include "wire/connection_id.hpp"
#include "wire/header.hpp"

#include <cstddef>
#include <span>
#include <system_error>

namespace tern::core {

/// The Retry Integrity Tag: the first 16 bytes of
/// HMAC-SHA256("tern retry integrity", ODCID length || ODCID || Retry packet
/// up to the tag). It proves only that the sender saw the client's Initial.
/// Errors: internal_error (OpenSSL).
std::error_code retry_integrity_tag(const wire::connection_id& original_dcid, std::span<const std::byte> retry_without_tag,
                                    std::span<std::byte, wire::retry_integrity_tag_length> out) noexcept;

/// Whether `retry_packet` (a whole Retry, tag included) carries the right tag
/// for a client whose first Initial had `original_dcid`. Constant time.
bool retry_integrity_valid(const wire::connection_id& original_dcid, std::span<const std::byte> retry_packet) noexcept;

} // namespace tern::core
