#pragma once

#include "stream/byte_ring.hpp"
#include "stream/flow_control.hpp"
#include "stream/range_set.hpp"

#include <tern/time.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>

namespace tern::stream {

/// Receiving-half states, RFC 9000 §3.2.
enum class recv_state : std::uint8_t {
  recv,        ///< receiving, final size unknown
  size_known,  ///< FIN seen, gaps remain
  data_recvd,  ///< every byte up to the final size received
  data_read,   ///< application read everything (terminal)
  reset_recvd, ///< RESET_STREAM received, application not told yet
  reset_read,  ///< application saw the reset (terminal)
};

/// What one incoming STREAM or RESET_STREAM did to flow control.
struct recv_result {
  std::error_code error;         ///< a stream_errc transport error: close the connection
  std::uint64_t credit_used = 0; ///< bytes newly counted against the connection's MAX_DATA
  std::uint64_t released = 0;    ///< bytes dropped unread: count them as consumed at connection level
};

struct read_result {
  std::size_t bytes = 0; ///< bytes copied out
  bool fin = false;      ///< the stream's last byte has now been read
  /// With reset_by_peer: the application error code of the peer's
  /// RESET_STREAM (filled in by core::connection::read).
  std::optional<std::uint64_t> reset_code;
};

/// The receiving half of a stream: reassembles out-of-order, overlapping and
/// duplicate STREAM data into ordered bytes, enforces the advertised window
/// and the final size, handles RESET_STREAM, copies bytes out on read, and
/// says when to send MAX_STREAM_DATA (with window auto-tuning).
///
/// Memory is bounded by the window: data beyond it is a flow-control error,
/// and bytes are held only between the read offset and the highest offset
/// received. The holes between them are bounded too (`max_ranges`): a peer
/// sending one-byte pieces out of order cannot make the bookkeeping outgrow
/// the data, and each frame costs O(log max_ranges).
class recv_stream {
public:
  /// The most disjoint received ranges (so holes + 1) a stream holds above
  /// its read offset. A legitimate sender leaves a hole only where a packet
  /// of it was lost between packets that arrived: 4096 holes in one stream's
  /// unread data is 4096 isolated losses (about 5 MB in flight at 1200 bytes
  /// a packet) before the first one is repaired. Costs at most ~200 KB of
  /// bookkeeping per stream.
  static constexpr std::size_t default_max_ranges = 4096;

  /// `max_ranges`: see on_data(); at least 1. `shared`: the connection's
  /// cap on the ranges of all its streams together, or none.
  explicit recv_stream(window_config cfg = {}, std::size_t max_ranges = default_max_ranges,
                       range_budget* shared = nullptr);

  // --- frames from the peer ---

  /// A STREAM frame: `data` at `offset`, `fin` if it ends the stream.
  /// `connection_credit`: bytes the connection-level window still allows
  /// beyond what it has received. Errors (nothing is committed):
  /// flow_control_error (beyond the stream window, the connection credit, or
  /// 2^62-1), final_size_error (data past a known final size, a FIN that
  /// moves the final size or lies below data already received),
  /// protocol_violation (the data would leave more than max_ranges()
  /// disjoint ranges held: the peer is fragmenting the stream beyond what
  /// loss explains; closing is the only safe answer, since acknowledgements
  /// cover whole packets and a dropped frame would never be resent).
  /// Frames after a reset or after everything was read are checked and
  /// otherwise ignored.
  recv_result on_data(std::uint64_t offset, std::span<const std::byte> data, bool fin,
                      std::uint64_t connection_credit = UINT64_MAX);

  /// RESET_STREAM: the peer abandoned the stream at `final_size`. Errors:
  /// final_size_error (differs from a known final size, or below data
  /// received), flow_control_error (beyond the window or connection credit).
  /// Buffered data is dropped (counted in `released`) and the next read()
  /// reports reset_by_peer; ignored once all data was received.
  recv_result on_reset(std::uint64_t final_size, std::uint64_t app_error,
                       std::uint64_t connection_credit = UINT64_MAX);

  // --- application side ---

  /// Copies in-order bytes into `out`. `fin` is set when the last byte of the
  /// stream has been read (also with 0 bytes, for an empty tail). Returns 0
  /// bytes without error when nothing is ready yet. Errors: reset_by_peer
  /// (see reset_error()), stream_closed after stop_sending().
  read_result read(std::span<std::byte> out, std::error_code& ec);

  /// Bytes read() could return now.
  std::uint64_t readable() const noexcept;

  /// The application no longer wants the data: queues STOP_SENDING with
  /// `app_error`, drops buffered data and discards what arrives later.
  /// Returns the bytes dropped, to count as consumed at connection level.
  std::uint64_t stop_sending(std::uint64_t app_error) noexcept;

  // --- control frames to send ---

  /// MAX_STREAM_DATA to send now, if any (see recv_window::poll_update).
  std::optional<std::uint64_t> poll_max_stream_data(time_point now, duration rtt) noexcept;
  void on_max_stream_data_lost(std::uint64_t value) noexcept { window_.on_update_lost(value); }

  /// STOP_SENDING error code to send, once (again after on_stop_sending_lost()).
  std::optional<std::uint64_t> poll_stop_sending() noexcept;
  void on_stop_sending_lost() noexcept;

  /// Whether a MAX_STREAM_DATA or STOP_SENDING waits to be polled.
  bool has_control_pending() const noexcept {
    return stop_pending_ || (state_ == recv_state::recv && window_.has_update(readable() == 0));
  }

  // --- inspection ---

  recv_state state() const noexcept { return state_; }
  /// Terminal: the application has everything it will get (data or reset),
  /// or it stopped reading and the peer has finished or reset.
  bool is_closed() const noexcept;
  std::uint64_t read_offset() const noexcept { return read_offset_; }
  std::uint64_t highest_received() const noexcept { return window_.received(); }
  std::optional<std::uint64_t> final_size() const noexcept { return final_size_; }
  /// The peer's RESET_STREAM error code, once one arrived.
  std::optional<std::uint64_t> reset_error() const noexcept { return reset_error_; }
  const recv_window& window() const noexcept { return window_; }
  /// Bytes currently held for reassembly (received and not yet read).
  std::uint64_t buffered() const noexcept { return received_.total(); }
  /// Frees the reassembly buffer when nothing unread is held (e.g. the
  /// handshake's CRYPTO stream once the handshake is over); later data
  /// allocates again. Returns whether it was freed.
  bool release_buffer() noexcept {
    if (buffered() != 0) return false;
    ring_.release();
    return true;
  }
  /// Disjoint ranges held above the read offset, and their cap.
  std::size_t ranges_held() const noexcept { return received_.range_count(); }
  std::size_t max_ranges() const noexcept { return received_.max_ranges(); }

private:
  std::error_code check_final_size(std::uint64_t end, bool fin) const noexcept;
  std::uint64_t discard_buffered() noexcept;
  void update_complete() noexcept;

  recv_window window_;
  byte_ring ring_;     // base() == read_offset_
  range_set received_; // received byte ranges at or above read_offset_, capped at max_ranges
  std::uint64_t read_offset_ = 0;
  std::optional<std::uint64_t> final_size_;
  std::optional<std::uint64_t> reset_error_;
  std::optional<std::uint64_t> stop_error_;
  bool stop_pending_ = false;
  recv_state state_ = recv_state::recv;
};

} // namespace tern::stream
