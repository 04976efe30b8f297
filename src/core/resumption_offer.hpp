#pragma once

// What a client offers to resume an earlier session (docs/crypto.md,
// "Resumption"; connection::connect).

#include <cstddef>
#include <span>

namespace tern::core {

struct resumption_offer {
  /// connection::session_ticket() of an earlier connection to the same
  /// server (same server name, ALPN and accepted server key); empty: a full
  /// handshake.
  std::span<const std::byte> ticket;
  /// Send stream data in 0-RTT packets before the handshake completes, if
  /// the ticket allows it. Early data can be replayed by an attacker: only
  /// what is safe to process twice belongs there (docs/crypto.md).
  bool early_data = false;
  /// With early_data: plain datagrams (send_datagram) queued before the
  /// handshake completes go in 0-RTT packets too, instead of waiting for
  /// 1-RTT keys. They can be replayed, are sent once, and are lost if the
  /// server rejects the early data or does not take early datagrams
  /// (connection_config::accept_early_datagrams).
  bool early_datagrams = false;
};

} // namespace tern::core
