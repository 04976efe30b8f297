#pragma once

#include "stun/address.hpp"

#include <optional>

namespace tern::stun {

/// Tracks the server-reflexive address one local socket has towards one
/// STUN server, and tells whether a new discovery changed it: the NAT
/// rebound the mapping (new port), or the host moved behind another NAT
/// (new address). The endpoint will fire its "mapped address changed"
/// event from this.
///
/// Use one monitor per (local socket, server) pair: behind an
/// address-dependent NAT (RFC 4787) different servers legitimately see
/// different mappings, which is not a change.
class mapped_address_monitor {
public:
  enum class change {
    first,     ///< the first address learned
    unchanged, ///< the same address as before
    changed,   ///< a different address than before
  };

  /// Records the result of a successful discovery.
  change on_discovery(const transport_address& mapped) noexcept;

  /// Forgets the current address (e.g. the local socket was rebound), so
  /// the next discovery reports `first`.
  void reset() noexcept;

  /// The latest address, if any discovery succeeded since construction or reset().
  const std::optional<transport_address>& current() const noexcept { return current_; }
  /// The address before the last `changed` report.
  const std::optional<transport_address>& previous() const noexcept { return previous_; }
  /// How many times the address changed.
  unsigned changes() const noexcept { return changes_; }

private:
  std::optional<transport_address> current_;
  std::optional<transport_address> previous_;
  unsigned changes_ = 0;
};

} // namespace tern::stun
