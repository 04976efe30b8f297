#include "stun/errc.hpp"

#include <string>

namespace tern::stun {

namespace {

class category final : public std::error_category {
public:
  const char* name() const noexcept override { return "tern.stun"; }

  std::string message(int value) const override {
    switch (static_cast<stun_errc>(value)) {
    case stun_errc::truncated:
      return "STUN message shorter than its 20-byte header";
    case stun_errc::not_stun:
      return "not a STUN message (the two leading bits are not zero)";
    case stun_errc::bad_magic_cookie:
      return "STUN magic cookie is not 0x2112A442";
    case stun_errc::bad_length:
      return "STUN message length is not a multiple of 4";
    case stun_errc::length_mismatch:
      return "STUN message length does not match the datagram size";
    case stun_errc::unsupported_method:
      return "STUN method not supported (only Binding is)";
    case stun_errc::attribute_overrun:
      return "STUN attribute runs past the end of the message";
    case stun_errc::bad_attribute_length:
      return "STUN attribute has a length its type does not allow";
    case stun_errc::bad_address_family:
      return "STUN address attribute has an unknown address family";
    case stun_errc::bad_error_code:
      return "STUN ERROR-CODE has an invalid class or number";
    case stun_errc::value_too_long:
      return "STUN text attribute is longer than RFC 8489 allows";
    case stun_errc::fingerprint_not_last:
      return "STUN attribute after FINGERPRINT";
    case stun_errc::fingerprint_mismatch:
      return "STUN FINGERPRINT does not match the message";
    case stun_errc::integrity_missing:
      return "STUN message has no MESSAGE-INTEGRITY";
    case stun_errc::integrity_mismatch:
      return "STUN MESSAGE-INTEGRITY does not verify";
    case stun_errc::username_missing:
      return "STUN request has MESSAGE-INTEGRITY but no USERNAME";
    case stun_errc::unknown_username:
      return "STUN USERNAME is not known";
    case stun_errc::crypto_failure:
      return "HMAC computation failed";
    case stun_errc::buffer_too_small:
      return "buffer too small for the STUN message";
    case stun_errc::unknown_comprehension_required:
      return "STUN response carries unknown comprehension-required attributes";
    case stun_errc::error_response:
      return "STUN server answered with an error response";
    case stun_errc::missing_mapped_address:
      return "STUN Binding response carries no mapped address";
    case stun_errc::timeout:
      return "STUN transaction timed out";
    }
    return "unknown tern.stun error";
  }
};

} // namespace

const std::error_category& stun_category() noexcept {
  static const category instance;
  return instance;
}

bool is_header_error(std::error_code ec) noexcept {
  if (ec.category() != stun_category()) return false;
  switch (static_cast<stun_errc>(ec.value())) {
  case stun_errc::truncated:
  case stun_errc::not_stun:
  case stun_errc::bad_magic_cookie:
  case stun_errc::bad_length:
  case stun_errc::length_mismatch:
  case stun_errc::unsupported_method:
  case stun_errc::fingerprint_mismatch:
  case stun_errc::fingerprint_not_last:
    return true;
  default:
    return false;
  }
}

} // namespace tern::stun
