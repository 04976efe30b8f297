#pragma once

// What the connection owes the peer beyond queued data, as one word of send
// flags (msquic's send flags): each flag is set where the obligation arises
// (a loss, a timer, an API call) and cleared where the frame is written.
// Keeping them together lets has_ack_eliciting_to_send() and the packet
// builder ask one place, and a reader find every such obligation here.

#include <cstdint>

namespace tern::core {

enum class send_flag : std::uint8_t {
  /// Server: HANDSHAKE_DONE, again if the packet carrying it was lost.
  handshake_done = 1 << 0,
  /// Server: the NEW_TOKEN frame of send_new_token(), again if lost.
  new_token = 1 << 1,
  /// An ack-eliciting packet even with nothing else to send: a PTO or
  /// handshake probe, a keepalive, a path MTU probe.
  ping = 1 << 2,
  /// Stream control frames (MAX_STREAM_DATA, RESET_STREAM, ...) may be
  /// pending: a stale flag costs one scan that finds nothing.
  stream_control = 1 << 3,
  /// Closing: (re)send CONNECTION_CLOSE, once per datagram received.
  close_frame = 1 << 4,
};

class send_flags {
public:
  [[nodiscard]] constexpr bool has(send_flag f) const noexcept { return (bits_ & bit(f)) != 0; }
  constexpr void set(send_flag f) noexcept { bits_ = static_cast<std::uint8_t>(bits_ | bit(f)); }
  constexpr void clear(send_flag f) noexcept { bits_ = static_cast<std::uint8_t>(bits_ & ~bit(f)); }
  constexpr void assign(send_flag f, bool on) noexcept { on ? set(f) : clear(f); }
  /// Clears `f`; returns whether it was set.
  constexpr bool take(send_flag f) noexcept {
    const bool was = has(f);
    clear(f);
    return was;
  }

private:
  static constexpr std::uint8_t bit(send_flag f) noexcept { return static_cast<std::uint8_t>(f); }
  std::uint8_t bits_ = 0;
};

} // namespace tern::core
