#pragma once

// Everything about a connection's end (RFC 9000 §10, docs/protocol.md
// §9.1): why it ended, until when the closing or draining period lasts, the
// packet type and frame type its CONNECTION_CLOSE carries, and whether the
// application was told. Whether a CONNECTION_CLOSE is due is a send flag
// (send_flag::close_frame).

#include "wire/header.hpp"

#include <tern/time.hpp>

#include <cstdint>
#include <string>
#include <system_error>

namespace tern::core {

/// How the connection ended.
struct close_info {
  /// core_errc (idle_timeout, closed_locally, closed_by_peer,
  /// transport_error, handshake_timeout, ...) or, when the TLS handshake
  /// failed on this side, the crypto_errc (fingerprint_mismatch,
  /// alpn_mismatch, certificate_untrusted, ...).
  std::error_code error;
  bool remote = false;      ///< the peer's CONNECTION_CLOSE ended it
  bool application = false; ///< an application error code (frame 0x1d)
  /// The code on the wire: a transport error (0x100 + TLS alert for
  /// handshake failures) or the application's code.
  std::uint64_t code = 0;
  std::string reason;
};

struct close_state {
  close_info info;
  /// End of the closing or draining period (3 PTOs after it began).
  time_point deadline = never;
  /// The packet type this side's CONNECTION_CLOSE goes in: the highest the
  /// peer can read when closing began.
  wire::packet_type packet_type = wire::packet_type::one_rtt;
  /// The Frame Type field: the frame that broke a rule, 0 otherwise.
  std::uint64_t frame_type = 0;
  /// The application got its `closed` event (it gets exactly one).
  bool event_sent = false;

  /// True the first time only: whether the `closed` event is still owed.
  [[nodiscard]] bool take_event() noexcept {
    if (event_sent) return false;
    event_sent = true;
    return true;
  }
};

} // namespace tern::core
