#pragma once

#include <tern/address.hpp>

namespace tern::stun {

/// What STUN calls a transport address is tern's address type; the family
/// codes are already the ones (XOR-)MAPPED-ADDRESS carries.
using transport_address = tern::address;
using address_family = tern::address_family;

inline std::optional<transport_address> parse_transport_address(std::string_view text) {
  return tern::parse_address(text);
}

} // namespace tern::stun
