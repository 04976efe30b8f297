#pragma once

#include <cstdint>
#include <system_error>

namespace tern::core {

/// Why a connection ended or an application call failed (category
/// "tern.core"). Errors the peer caused are reported with the wire code in
/// close_info as well; these values describe the local view.
enum class core_errc {
  idle_timeout = 1,        ///< nothing heard from the peer within the idle timeout (silent close)
  closed_locally,          ///< the application closed the connection
  closed_by_peer,          ///< the peer sent CONNECTION_CLOSE (see close_info for its code)
  transport_error,         ///< this side detected a protocol violation and closed (see close_info)
  handshake_timeout,       ///< the handshake did not complete within the handshake timeout
  not_established,         ///< the call needs an established connection
  connection_closed,       ///< the connection is closing, draining or closed
  unknown_stream,          ///< no such stream (never opened, or released)
  invalid_stream_direction, ///< the stream has no half for that operation (e.g. write on a peer's uni stream)
  path_validation_failed,  ///< the peer's new address did not answer PATH_CHALLENGE
  aead_limit_reached,      ///< too many packets failed authentication, or the key could not be updated
  // 12 is the front end's endpoint_closed: values stay equal to tern::errc's.
  too_many_connections = 13, ///< the endpoint holds endpoint_config::max_connections already
};

const std::error_category& core_category() noexcept;
inline std::error_code make_error_code(core_errc e) noexcept { return {static_cast<int>(e), core_category()}; }

} // namespace tern::core

template <>
struct std::is_error_code_enum<tern::core::core_errc> : std::true_type {};
