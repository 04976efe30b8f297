#pragma once

#include <tern/address.hpp>

namespace tern::core {

/// A peer's UDP transport address. The sans-IO core only compares and
/// stores addresses; drivers convert from their sockets.
using address = tern::address;

/// Whether `a` and `b` differ only in their port (a NAT rebinding that kept
/// the IP address): RFC 9000 §9.4 lets the congestion state be kept then.
inline bool same_host(const address& a, const address& b) noexcept {
  return a.family == b.family && a.ip == b.ip;
}

} // namespace tern::core
