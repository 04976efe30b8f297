#pragma once

// The decisions of tern-netem's NAT mode (docs/nat.md, "tern-netem --nat"),
// sans-IO: which inbound datagrams may pass, given what the inside peer sent
// and when. Mapping is endpoint-independent (RFC 4787 §4.1): the inside
// peer has one outside port whatever it sends to, so every remote sees the
// same reflexive address. Filtering is one of RFC 4787 §5's three:
//
//   endpoint_independent        any remote may send in while the mapping lives
//                               (a "full cone" NAT);
//   address_dependent           only remote hosts the inside has sent to
//                               ("restricted cone");
//   address_and_port_dependent  only the exact remote address and port the
//                               inside has sent to ("port restricted cone"),
//                               the default: what makes simultaneous open
//                               necessary.
//
// A permission lasts `timeout` after the last datagram the inside sent to
// that remote (the mapping itself after the last datagram sent to anyone):
// outbound traffic refreshes it, inbound does not (RFC 4787 REQ-6 allows
// inbound refresh; relying on it is what keepalives avoid), so a peer that
// falls silent for longer than the timeout is cut off until it sends again.

#include "endpoint.hpp"

#include <tern/time.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tern::netem {

enum class nat_filtering : std::uint8_t {
  endpoint_independent,
  address_dependent,
  address_and_port_dependent
};

/// "eif", "adf" or "apdf" (the names docs/nat.md uses); nothing otherwise.
std::optional<nat_filtering> parse_nat_filtering(std::string_view text);
std::string_view to_string(nat_filtering f) noexcept;

class nat_table {
public:
  nat_table(nat_filtering filtering, duration timeout) : filtering_(filtering), timeout_(timeout) {}

  /// The inside peer sent a datagram to `remote` at `now`.
  void on_outbound(const endpoint& remote, time_point now);
  /// Whether a datagram from `remote` arriving at `now` may go in.
  bool permits(const endpoint& remote, time_point now) const;
  /// Permissions that have not expired at `now` (for statistics).
  std::size_t live_permissions(time_point now) const;

private:
  std::string key_of(const endpoint& remote) const;

  nat_filtering filtering_;
  duration timeout_;
  std::optional<time_point> last_outbound_;
  std::unordered_map<std::string, time_point> last_sent_to_;
};

} // namespace tern::netem
