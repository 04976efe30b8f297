#pragma once

// tern-netem's NAT mode (docs/nat.md, "tern-netem --nat"): one inside peer
// behind one outside port, on loopback.
//
// Loopback has no routing, so the inside peer cannot simply send to a
// remote's address and have the NAT catch it. Instead the NAT gives every
// remote it is told about (--remote) an *alias* on the inside: a socket of
// its own. The inside peer sends to the alias to reach the remote, and
// receives what the remote sends from the alias, so on the inside every
// remote has one consistent address. On the outside everything leaves from
// and arrives at the one outside port, which is what remotes (and a STUN
// server) see as the inside peer's reflexive address; nat_table decides
// which inbound datagrams pass.
//
// The first datagram on any alias makes its source the inside peer; later
// datagrams from other sources are dropped (one mapping, one peer).

#include "endpoint.hpp"
#include "nat_table.hpp"

#include <tern/time.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace tern::netem {

struct nat_config {
  nat_filtering filtering = nat_filtering::address_and_port_dependent;
  /// Lifetime of a permission (and of the mapping) without outbound traffic.
  duration mapping_timeout = std::chrono::seconds(30);
  endpoint outside;              ///< the NAT's public address (port 0: ephemeral)
  endpoint alias_host;           ///< where inside aliases are bound (its port is ignored)
  std::vector<endpoint> remotes; ///< outside addresses the inside peer can reach
  std::optional<duration> run_for;
};

struct nat_stats {
  std::uint64_t outbound = 0;         ///< inside -> remote, relayed
  std::uint64_t inbound = 0;          ///< remote -> inside, relayed
  std::uint64_t inbound_filtered = 0; ///< refused: no live permission for the remote
  std::uint64_t inbound_unknown = 0;  ///< permitted but from a remote without an alias
  std::uint64_t foreign_inside = 0;   ///< from a second inside source, dropped
  std::uint64_t send_errors = 0;
};

class nat {
public:
  explicit nat(nat_config config);
  ~nat();
  nat(const nat&) = delete;
  nat& operator=(const nat&) = delete;

  /// Binds the outside socket and one alias per remote. Errors: the
  /// socket error (address in use, family mismatch).
  std::error_code open();
  const endpoint& outside() const noexcept { return outside_bound_; }
  /// The inside alias of config.remotes[i] (after open()).
  const endpoint& alias(std::size_t i) const noexcept { return aliases_[i].bound; }

  /// Relays until `stop` becomes true (checked at least every 100 ms) or
  /// run_for elapses.
  void run(const std::atomic<bool>& stop);

  const nat_stats& stats() const noexcept { return stats_; }
  std::string stats_json() const;
  std::string stats_text() const;

private:
  struct alias_socket {
    int fd = -1;
    endpoint bound;
  };
  void read_outside(time_point now);
  void read_alias(std::size_t index, time_point now);

  nat_config config_;
  nat_table table_;
  int outside_fd_ = -1;
  endpoint outside_bound_;
  std::vector<alias_socket> aliases_;
  std::optional<endpoint> inside_;
  nat_stats stats_;
  std::vector<std::byte> buffer_ = std::vector<std::byte>(65536);
};

} // namespace tern::netem
