#pragma once

// tern's public error codes (category "tern"). Every asynchronous operation
// completes with a std::error_code: one of these, an Asio code
// (asio::error::operation_aborted for a cancelled operation, asio::error::eof
// when a stream's peer finished sending), a TLS handshake failure
// (category "tern.crypto": fingerprint_mismatch, alpn_mismatch,
// certificate_untrusted, peer_rejected_certificate, ...) or a system error
// from the socket.

#include <system_error>

namespace tern {

enum class errc {
  // How a connection ended.
  idle_timeout = 1,         ///< nothing heard from the peer within config::idle_timeout
  closed_locally,           ///< this side called connection::close()
  closed_by_peer,           ///< the peer closed the connection (connection::close_code() says with what)
  transport_error,          ///< a protocol violation closed the connection
  handshake_timeout,        ///< the handshake did not complete within config::handshake_timeout
  // Calls that cannot proceed.
  not_established,          ///< the connection is not established yet
  connection_closed,        ///< the connection is closing or closed
  unknown_stream,           ///< no such stream (never opened, or already released)
  invalid_stream_direction, ///< the stream has no half for this operation
  path_validation_failed,   ///< the peer's new address did not answer
  aead_limit_reached,       ///< too many forged packets, or keys could not be updated
  endpoint_closed,          ///< the endpoint is closed (or was never opened)
  too_many_connections,     ///< config::max_connections reached
  stream_reset,             ///< the peer reset the stream (stream::reset_code() says with what)
  stopped_by_peer,          ///< the peer asked this side to stop sending on the stream
  stream_closed,            ///< write after shutdown_send() or reset()
  message_too_large,        ///< larger than a datagram or message may be
  buffer_full,              ///< the datagram or message send queue has no room
  deadline_passed,          ///< the message's deadline is already in the past
  invalid_argument,         ///< a bad configuration or argument
  // STUN discovery (endpoint::async_discover).
  stun_timeout,             ///< no answer after config::stun_max_requests requests and the final wait
  stun_error_response,      ///< the server answered with a STUN error response
  stun_bad_response,        ///< the server's success response was unusable (no mapped address, unknown required attributes)
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), error_category()}; }

} // namespace tern

template <>
struct std::is_error_code_enum<tern::errc> : std::true_type {};
