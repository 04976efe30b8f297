#pragma once

#include <system_error>

namespace tern::io {

/// Conditions the UDP socket layer reports in its own category ("tern.io").
/// Errors the kernel returns that need no translation (EBADF, ENOBUFS...)
/// stay in std::system_category.
enum class io_errc {
  /// No datagram is queued (receive) or the send buffer is full (send):
  /// wait for readiness and call again. Never fatal.
  would_block = 1,
  /// A datagram exceeds what the local interface or the path accepts with the
  /// don't-fragment bit set (EMSGSIZE). Non-fatal: drop or resize that
  /// datagram; DPLPMTUD treats it as a failed probe.
  message_too_big,
  /// A received datagram was larger than its receive slot and was cut short
  /// (MSG_TRUNC); the slot is reported but its payload is incomplete.
  truncated,
  /// The socket is not open.
  not_open,
};

const std::error_category& io_category() noexcept;
std::error_code make_error_code(io_errc e) noexcept;

/// True for errors that concern one destination, not the socket: ICMP
/// port/host/network unreachable and their local equivalents (no route,
/// firewall reject). The socket stays usable; only that peer is affected.
bool is_path_error(const std::error_code& ec) noexcept;

} // namespace tern::io

template <> struct std::is_error_code_enum<tern::io::io_errc> : std::true_type {};
