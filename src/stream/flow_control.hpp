#pragma once

#include <tern/time.hpp>

#include <cstdint>
#include <optional>
#include <system_error>

namespace tern::stream {

/// Send-side credit granted by the peer: MAX_DATA for the connection, or
/// MAX_STREAM_DATA for one stream (RFC 9000 §4.1). Tracks the limit, the
/// credit used (highest offset sent, or sum over streams for the connection)
/// and whether a DATA_BLOCKED / STREAM_DATA_BLOCKED should be sent.
class send_credit {
public:
  explicit send_credit(std::uint64_t initial_limit = 0) noexcept : limit_{initial_limit} {}

  /// The peer's current limit in bytes.
  std::uint64_t limit() const noexcept { return limit_; }
  /// Bytes of credit used so far.
  std::uint64_t used() const noexcept { return used_; }
  /// Bytes that may still be sent.
  std::uint64_t available() const noexcept { return limit_ - used_; }

  /// A MAX_DATA / MAX_STREAM_DATA arrived. Limits never shrink (RFC 9000
  /// §4.1: a smaller value is ignored). Returns true when the limit grew.
  bool on_max(std::uint64_t new_limit) noexcept;

  /// Records `n` bytes sent against the limit; requires n <= available().
  void consume(std::uint64_t n) noexcept;

  /// The sender has data it cannot send because of this limit. Arms one
  /// BLOCKED report per limit value.
  void on_blocked() noexcept;

  /// The limit to put in a DATA_BLOCKED / STREAM_DATA_BLOCKED frame, once
  /// per limit value, or nothing.
  std::optional<std::uint64_t> poll_blocked() noexcept;
  /// Whether poll_blocked() would return a value.
  bool blocked_pending() const noexcept { return blocked_pending_; }

  /// The packet carrying a BLOCKED frame for `reported_limit` was lost: it is
  /// sent again if we are still blocked at that same limit (RFC 9000 §13.3).
  void on_blocked_lost(std::uint64_t reported_limit) noexcept;

private:
  std::uint64_t limit_ = 0;
  std::uint64_t used_ = 0;
  std::uint64_t blocked_reported_at_ = UINT64_MAX; // limit last reported, none yet
  bool blocked_pending_ = false;
};

/// Receive-window auto-tuning parameters.
struct window_config {
  /// The limit the peer starts with, bytes (the protocol's initial limits).
  std::uint64_t initial = 256 * 1024;
  /// The largest the window may grow to, bytes. Memory per stream (or per
  /// connection) is bounded by this.
  std::uint64_t max = 16 * 1024 * 1024;
  /// The window granted with the first update, bytes, sent as soon as the
  /// connection next builds a packet; at most `initial` (the default, 0)
  /// grants nothing early.
  std::uint64_t granted = 0;
};

/// Receive-side window: what we allow the peer to send (RFC 9000 §4.1-4.2),
/// as MAX_STREAM_DATA for a stream or MAX_DATA for the connection.
///
/// The advertised limit is `consumed + window`, where `consumed` counts bytes
/// the application has read (so buffered-but-unread data holds the window
/// back and memory stays bounded). An update is due once the peer's
/// remaining credit falls to three quarters of the window. Auto-tuning
/// (flow_control.cpp): the window doubles, up to window_config::max, when an
/// update is due less than one RTT after the previous one (the reader drains
/// a quarter window per RTT: the window limits the transfer), or less than
/// four RTTs after it while the reader has read everything in order (loss
/// recovery, not the reader, delayed it). A slow reader that leaves data
/// unread never grows the window.
class recv_window {
public:
  explicit recv_window(window_config cfg = {}) noexcept;

  /// The limit the peer was last told (or the initial one), bytes.
  std::uint64_t limit() const noexcept { return limit_; }
  /// The current window size, bytes (grows with auto-tuning).
  std::uint64_t window() const noexcept { return window_; }
  /// Highest offset (or total bytes, for the connection) received.
  std::uint64_t received() const noexcept { return received_; }
  /// Bytes the application has consumed (read or discarded).
  std::uint64_t consumed() const noexcept { return consumed_; }

  /// The peer's data now reaches `new_highest` (bytes). Returns
  /// stream_errc::flow_control_error when that exceeds limit(); the caller
  /// must not commit the data then. Lower values are no-ops.
  std::error_code on_received(std::uint64_t new_highest) noexcept;

  /// Whether receiving up to `new_highest` would stay within limit().
  bool allows(std::uint64_t new_highest) const noexcept { return new_highest <= limit_; }

  /// The application consumed `n` more bytes (requires consumed + n <= received).
  void on_consumed(std::uint64_t n) noexcept;

  /// Whether an update should be sent now (remaining credit <= 3/4 window).
  bool update_due() const noexcept;

  /// When update_due(): grows the window (see the class comment), raises
  /// the limit to consumed + window and returns it for a MAX_DATA /
  /// MAX_STREAM_DATA frame. Otherwise nothing, unless a lost update must be
  /// repeated (then the current limit). `rtt` is the smoothed RTT; zero
  /// disables growth. `reader_caught_up`: the application has read every
  /// byte that is readable in order (for a stream: recv_stream::readable()
  /// is 0), so what is held is out-of-order data above a hole.
  std::optional<std::uint64_t> poll_update(time_point now, duration rtt, bool reader_caught_up = false) noexcept;
  /// Whether poll_update(..., reader_caught_up) would return a value now.
  bool has_update(bool reader_caught_up = false) const noexcept {
    return update_due() || (repeat_pending_ && !updates_stopped_) || hole_growth_due(reader_caught_up);
  }

  /// The packet carrying an update with `value` was lost: repeat it if it is
  /// still the current limit (a newer one supersedes it).
  void on_update_lost(std::uint64_t value) noexcept;

  /// Makes the window at least `bytes` (capped at the configured max); used
  /// to keep the connection window ahead of a grown stream window. Takes
  /// effect at the next update.
  void ensure_window(std::uint64_t bytes) noexcept;

  /// Stop sending updates (final size known, or stream reset): the peer
  /// cannot use more credit.
  void stop_updates() noexcept {
    updates_stopped_ = true;
    repeat_pending_ = false;
  }

private:
  /// The reader has kept up and waits on a hole while the peer is nearly
  /// out of credit (see poll_update).
  bool hole_growth_due(bool reader_caught_up) const noexcept;

  window_config cfg_;
  std::uint64_t window_ = 0;
  std::uint64_t limit_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t consumed_ = 0;
  time_point last_update_ = time_point::min(); // min: no update sent yet
  std::uint64_t consumed_at_update_ = 0;
  bool repeat_pending_ = false;
  bool updates_stopped_ = false;
  bool reader_lagged_ = false; // in-order data was left unread at a poll since the last update
};

} // namespace tern::stream
