#pragma once

#include <system_error>

namespace tern::stun {

/// Everything that can go wrong in tern's STUN code: decoding a message,
/// checking its integrity, building one, or running a transaction. The
/// category is named "tern.stun".
enum class stun_errc {
  // Header-level: the datagram is not a well-formed STUN message at all.
  // RFC 8489 §6.3 says such datagrams are discarded silently.
  truncated = 1,      ///< shorter than the 20-byte header
  not_stun,           ///< the two most significant bits are not zero
  bad_magic_cookie,   ///< the magic cookie is not 0x2112A442
  bad_length,         ///< the header's length is not a multiple of 4
  length_mismatch,    ///< header length + 20 differs from the datagram size
  unsupported_method, ///< a method tern does not implement (only Binding)
  // Attribute-level: the header is fine, an attribute is not.
  attribute_overrun,    ///< an attribute header or value runs past the end
  bad_attribute_length, ///< a known attribute has a length its type forbids
  bad_address_family,   ///< an address attribute with a family other than IPv4/IPv6
  bad_error_code,       ///< ERROR-CODE with a class outside 3-6 or a number above 99
  value_too_long,       ///< a text attribute longer than RFC 8489 allows
  fingerprint_not_last, ///< an attribute follows FINGERPRINT
  fingerprint_mismatch, ///< FINGERPRINT does not match the message's CRC-32
  // Authentication.
  integrity_missing,  ///< no MESSAGE-INTEGRITY(-SHA256) where one is required
  integrity_mismatch, ///< MESSAGE-INTEGRITY(-SHA256) does not verify with the key
  username_missing,   ///< a request with integrity but without USERNAME
  unknown_username,   ///< USERNAME is not the one the credentials name
  crypto_failure,     ///< OpenSSL could not compute an HMAC
  // Encoding.
  buffer_too_small, ///< the output buffer cannot hold the message
  // Transactions.
  unknown_comprehension_required, ///< a response carries attributes tern must understand but does not
  error_response,                 ///< the server answered with an error response (see its code)
  missing_mapped_address,         ///< a Binding success response without a mapped address
  timeout,                        ///< no response after Rc requests and the final Rm * RTO wait
};

const std::error_category& stun_category() noexcept;

inline std::error_code make_error_code(stun_errc e) noexcept {
  return {static_cast<int>(e), stun_category()};
}

/// True for the errors RFC 8489 §6.3 treats as "not a valid STUN message":
/// the datagram is dropped without an answer.
bool is_header_error(std::error_code ec) noexcept;

} // namespace tern::stun

template <>
struct std::is_error_code_enum<tern::stun::stun_errc> : std::true_type {};
