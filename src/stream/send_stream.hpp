#pragma once

#include "stream/byte_ring.hpp"
#include "stream/flow_control.hpp"
#include "stream/range_set.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>

namespace tern::stream {

/// Sending-half states, RFC 9000 §3.1.
enum class send_state : std::uint8_t {
  ready,       ///< nothing sent yet
  send,        ///< sending data
  data_sent,   ///< FIN sent, waiting for acknowledgements
  data_recvd,  ///< everything including FIN acknowledged (terminal)
  reset_sent,  ///< RESET_STREAM queued or in flight
  reset_recvd, ///< RESET_STREAM acknowledged (terminal)
};

struct send_config {
  /// Bytes the application may have written but not yet had acknowledged.
  std::size_t buffer_limit = 1024 * 1024;
};

/// One piece of stream data to put in a STREAM frame.
struct stream_chunk {
  std::uint64_t offset = 0;
  /// The bytes, stored in the stream: valid until the next write() on it.
  std::span<const std::byte> data;
  bool fin = false;
  /// Data (or FIN) sent before and declared lost: it uses no new
  /// flow-control credit.
  bool retransmission = false;
};

/// What a RESET_STREAM frame carries.
struct reset_info {
  std::uint64_t error_code = 0; ///< application error code
  std::uint64_t final_size = 0; ///< bytes of flow-control credit used, i.e. highest offset sent
};

/// The sending half of a stream: buffers application bytes, hands out chunks
/// to send (lost ranges first, then new data, in offset order), tracks what is
/// in flight, acknowledged and lost, frees acknowledged bytes, and runs FIN,
/// RESET_STREAM, STOP_SENDING and the peer's MAX_STREAM_DATA.
///
/// Sans-IO: the connection turns chunks into STREAM frames and reports back,
/// per chunk, whether the packet that carried it was acknowledged or lost.
/// A retransmission is just a chunk handed out again.
class send_stream {
public:
  /// `peer_max_stream_data`: the peer's initial MAX_STREAM_DATA for this
  /// stream (from its transport parameters).
  explicit send_stream(std::uint64_t peer_max_stream_data = 0, send_config cfg = {});

  // --- application side ---

  /// Buffers as much of `data` as the send buffer has room for and returns
  /// that count (possibly 0). Errors (nothing buffered): stream_closed after
  /// finish() or reset(), stopped_by_peer after STOP_SENDING.
  std::size_t write(std::span<const std::byte> data, std::error_code& ec);

  /// Bytes write() would accept now.
  std::size_t writable() const noexcept;

  /// Marks the end of the stream after the data written so far (FIN).
  /// Errors: stream_closed if already finished or reset (idempotent finish
  /// is allowed: a second finish() returns success).
  std::error_code finish() noexcept;

  /// Abandons the stream: queues RESET_STREAM with `app_error` and the final
  /// size, drops buffered data. No-op once data_recvd or already reset.
  void reset(std::uint64_t app_error) noexcept;

  // --- packet building ---

  /// The next chunk of at most `max_len` bytes to send: the lowest lost range
  /// first, then new data within the peer's MAX_STREAM_DATA and within
  /// `connection_credit` (bytes of MAX_DATA credit the connection has left;
  /// the caller consumes chunk.data.size() of it when !retransmission).
  /// A chunk may be empty with fin set. Nothing when there is nothing to send
  /// or no room.
  std::optional<stream_chunk> next_chunk(std::size_t max_len, std::uint64_t connection_credit = UINT64_MAX);

  /// Whether next_chunk() has something to give with unlimited connection
  /// credit and room (retransmissions, new data within the stream limit, FIN).
  bool has_data_to_send() const noexcept;
  /// Whether lost data or a lost FIN awaits retransmission.
  bool has_retransmission() const noexcept { return !lost_.empty() || fin_lost_; }

  // --- feedback from the connection ---

  /// The chunk (offset, length, fin) handed out earlier was acknowledged.
  void on_acked(std::uint64_t offset, std::uint64_t length, bool fin) noexcept;

  /// The chunk (offset, length, fin) was declared lost: whatever part of it
  /// is not acknowledged (by another copy) is queued to be sent again.
  void on_lost(std::uint64_t offset, std::uint64_t length, bool fin);

  /// MAX_STREAM_DATA from the peer. Returns true when it unblocked sending.
  bool on_max_stream_data(std::uint64_t max) noexcept;

  /// The limit for a STREAM_DATA_BLOCKED frame, once per limit, when new data
  /// waits on the peer's MAX_STREAM_DATA.
  std::optional<std::uint64_t> poll_data_blocked() noexcept { return credit_.poll_blocked(); }
  void on_data_blocked_lost(std::uint64_t limit) noexcept { credit_.on_blocked_lost(limit); }

  /// STOP_SENDING from the peer: the stream is reset with the peer's code
  /// (RFC 9000 §3.5) and further writes fail with stopped_by_peer.
  void on_stop_sending(std::uint64_t app_error) noexcept;

  /// RESET_STREAM to send, once (again after on_reset_lost()).
  std::optional<reset_info> poll_reset() noexcept;
  void on_reset_acked() noexcept;
  void on_reset_lost() noexcept;

  /// Whether a RESET_STREAM or STREAM_DATA_BLOCKED waits to be polled.
  bool has_control_pending() const noexcept { return reset_pending_ || credit_.blocked_pending(); }

  // --- inspection ---

  send_state state() const noexcept { return state_; }
  /// Terminal: nothing more will happen on this half.
  bool is_closed() const noexcept {
    return state_ == send_state::data_recvd || state_ == send_state::reset_recvd;
  }
  /// Bytes held: written and not yet acknowledged-and-freed.
  std::uint64_t buffered() const noexcept { return write_end_ - ring_.base(); }
  /// The current cap on buffered(), bytes.
  std::size_t buffer_limit() const noexcept { return cfg_.buffer_limit; }
  /// Changes the cap on buffered(): the connection sizes it from the
  /// congestion window. Lowering it never drops data already written; it
  /// only delays further writes.
  void set_buffer_limit(std::size_t bytes) noexcept { cfg_.buffer_limit = bytes; }
  /// Offset just past the last byte written by the application.
  std::uint64_t write_offset() const noexcept { return write_end_; }
  /// Offset just past the highest byte ever sent.
  std::uint64_t sent_offset() const noexcept { return send_next_; }
  /// Every byte below this offset is acknowledged.
  std::uint64_t acked_offset() const noexcept { return ring_.base(); }
  /// Frees the send buffer when everything written is acknowledged (a stream
  /// done with for now, e.g. the handshake's CRYPTO stream); a later write()
  /// allocates again. Returns whether it was freed.
  bool release_buffer() noexcept {
    if (buffered() != 0) return false;
    ring_.release();
    return true;
  }
  const send_credit& credit() const noexcept { return credit_; }
  /// The code from the peer's STOP_SENDING, if one arrived.
  std::optional<std::uint64_t> stop_sending_error() const noexcept { return stop_error_; }

private:
  void release_acked() noexcept;

  send_config cfg_;
  byte_ring ring_; // base() = lowest unacknowledged offset
  std::uint64_t write_end_ = 0;
  std::uint64_t send_next_ = 0; // next new offset to send
  range_set acked_;             // acknowledged ranges above ring_.base()
  range_set lost_;              // ranges to send again, below send_next_
  send_credit credit_;          // peer's MAX_STREAM_DATA; used() == send_next_
  send_state state_ = send_state::ready;
  bool fin_written_ = false;
  bool fin_sent_ = false;
  bool fin_acked_ = false;
  bool fin_lost_ = false;
  bool reset_pending_ = false;
  reset_info reset_{};
  std::optional<std::uint64_t> stop_error_;
};

} // namespace tern::stream
