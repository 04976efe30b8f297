#pragma once

#include <cstdint>
#include <system_error>
#include <type_traits>

namespace tern::stream {

/// Errors of the stream area (category "tern.stream").
///
/// The first group are transport errors: the peer broke a rule and the
/// connection must close with CONNECTION_CLOSE carrying the RFC 9000 §20.1
/// code, which is the enumerator's value (see transport_error_code()).
/// The second group are local conditions reported to the application; they
/// never go on the wire and start at 0x100 so they cannot be mistaken for a
/// transport code.
enum class stream_errc : std::uint16_t {
  // RFC 9000 §20.1 transport errors, same numeric values.
  flow_control_error = 0x03,   ///< peer sent more than it was allowed
  stream_limit_error = 0x04,   ///< peer opened a stream beyond our MAX_STREAMS
  stream_state_error = 0x05,   ///< frame for a stream in a state that forbids it
  final_size_error = 0x06,     ///< final size changed, or data beyond it
  frame_encoding_error = 0x07, ///< a value beyond what the protocol can express
  protocol_violation = 0x0a,   ///< other peer misbehaviour (e.g. inconsistent message length)

  // Local conditions.
  reset_by_peer = 0x100, ///< the peer reset the stream (RESET_STREAM); see recv_stream::reset_error()
  stopped_by_peer,       ///< the peer asked us to stop sending (STOP_SENDING)
  stream_closed,         ///< write after FIN or after a local reset
  streams_blocked,       ///< the peer's MAX_STREAMS forbids opening another stream now
  message_too_large,     ///< larger than the configured message or datagram limit
  buffer_full,           ///< the send-side memory budget has no room for it
  deadline_passed,       ///< the message's deadline is already in the past
};

const std::error_category& stream_category() noexcept;

inline std::error_code make_error_code(stream_errc e) noexcept {
  return {static_cast<int>(e), stream_category()};
}

/// True for the errors that close the connection (the RFC 9000 group).
constexpr bool is_transport_error(stream_errc e) noexcept { return static_cast<std::uint16_t>(e) < 0x100; }

/// The RFC 9000 transport error code to put in CONNECTION_CLOSE for `e`;
/// meaningful only when is_transport_error(e).
constexpr std::uint64_t transport_error_code(stream_errc e) noexcept { return static_cast<std::uint64_t>(e); }

} // namespace tern::stream

template <>
struct std::is_error_code_enum<tern::stream::stream_errc> : std::true_type {};
