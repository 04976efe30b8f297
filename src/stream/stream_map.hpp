#pragma once

#include "stream/flow_control.hpp"
#include "stream/recv_stream.hpp"
#include "stream/send_scheduler.hpp"
#include "stream/send_stream.hpp"
#include "stream/stream_id.hpp"

#include "util/lazy_deque.hpp"

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <system_error>
#include <unordered_map>

namespace tern::stream {

/// One stream: its id, its priority and the halves it has (a unidirectional
/// stream has only one).
struct stream {
  explicit stream(stream_id i) noexcept : id{i} {}
  stream_id id;
  std::uint8_t urgency = default_urgency;
  std::optional<send_stream> send;
  std::optional<recv_stream> recv;
  bool control_queued = false; // in stream_map's control queue
  /// The application allowed this stream's data in 0-RTT packets (it is
  /// safe to process twice; docs/crypto.md, "What is replayable").
  bool allow_early = false;

  /// Both halves (those that exist) reached a terminal state.
  bool is_closed() const noexcept { return (!send || send->is_closed()) && (!recv || recv->is_closed()); }
};

/// Limits from the peer's transport parameters (RFC 9000 §18.2), as they
/// apply to us.
struct peer_stream_limits {
  /// The peer's initial_max_stream_data_bidi_local: our send credit on
  /// bidirectional streams the peer opens.
  std::uint64_t max_stream_data_bidi_local = 0;
  /// The peer's initial_max_stream_data_bidi_remote: our send credit on
  /// bidirectional streams we open.
  std::uint64_t max_stream_data_bidi_remote = 0;
  /// The peer's initial_max_stream_data_uni: our send credit on our
  /// unidirectional streams.
  std::uint64_t max_stream_data_uni = 0;
  /// The peer's initial_max_streams_bidi / _uni: how many we may open.
  std::uint64_t max_streams_bidi = 0;
  std::uint64_t max_streams_uni = 0;
};

struct stream_map_config {
  role self = role::client;
  /// Peer-initiated streams of each type we allow open at once; also our
  /// initial_max_streams_bidi / _uni transport parameters.
  std::uint64_t max_concurrent_bidi = 100;
  std::uint64_t max_concurrent_uni = 100;
  /// Receive window per stream (initial is our initial_max_stream_data_*).
  window_config stream_window{};
  send_config send{};
  /// Disjoint received ranges all streams of the connection may hold
  /// together (each also has recv_stream::default_max_ranges). Without it a
  /// peer leaving one-byte holes in every stream it may open would make the
  /// connection hold 200 x 4096 tree nodes (about 40 MB) for about 5 MB
  /// sent. A legitimate sender leaves a hole only where one of its packets
  /// was lost between two that arrived, so fewer than half the packets of
  /// the largest connection window (24 MiB: about 20,000 packets).
  std::size_t max_received_ranges = 16384;
};

/// Which of our halves a peer frame addresses: STREAM, RESET_STREAM and
/// STREAM_DATA_BLOCKED address our receiving half; MAX_STREAM_DATA and
/// STOP_SENDING our sending half.
enum class frame_target : std::uint8_t { receive_side, send_side };

/// All streams of a connection: stream id rules (RFC 9000 §2.1), opening
/// local streams within the peer's MAX_STREAMS, implicitly opening peer
/// streams, limits on peer streams and MAX_STREAMS updates (§4.6), the send
/// scheduler, and removal of fully closed streams.
///
/// Stream objects have stable addresses until released. The connection
/// calls update(id) after anything that may change a stream's readiness
/// (write, chunk sent, ack, loss, MAX_STREAM_DATA, read, ...): that
/// (un)schedules it, queues it for control frames, and releases it when
/// closed.
class stream_map {
public:
  explicit stream_map(stream_map_config cfg);
  // Streams point at ranges_budget_: the map stays where it was built.
  stream_map(const stream_map&) = delete;
  stream_map& operator=(const stream_map&) = delete;

  /// Applies the peer's transport parameters (raises limits of streams
  /// already open; limits never shrink).
  void set_peer_limits(const peer_stream_limits& limits);

  // --- opening streams ---

  /// Opens our next stream of direction `d`. Errors: streams_blocked when the
  /// peer's MAX_STREAMS does not allow it (a STREAMS_BLOCKED is then queued).
  stream* open(direction d, std::error_code& ec);

  /// The stream a peer frame refers to, opening it (and every lower-numbered
  /// peer stream of its type) if it is new. Returns nullptr without error
  /// for a stream that existed and was released: the frame is ignored.
  /// Errors (close the connection): stream_state_error (the frame addresses
  /// a half that does not exist for us, e.g. STREAM on our own uni stream,
  /// or one of our streams we have not opened yet), stream_limit_error (a
  /// peer stream beyond the limit we advertised).
  stream* get_for_frame(stream_id id, frame_target target, std::error_code& ec);

  /// The next peer-opened stream of direction `d` the application has not
  /// accepted yet, in id order.
  std::optional<stream_id> accept(direction d);

  stream* find(stream_id id) noexcept;
  std::size_t size() const noexcept { return streams_.size(); }
  /// Disjoint received ranges held by all streams together
  /// (<= max_received_ranges, plus one per stream a read splits).
  std::size_t received_ranges_held() const noexcept { return ranges_budget_.held(); }

  // --- MAX_STREAMS / STREAMS_BLOCKED ---

  /// MAX_STREAMS from the peer. Errors: frame_encoding_error above 2^60.
  std::error_code on_max_streams(direction d, std::uint64_t max) noexcept;
  /// The limit for a STREAMS_BLOCKED frame, once per limit value.
  std::optional<std::uint64_t> poll_streams_blocked(direction d) noexcept;
  /// A MAX_STREAMS for the peer to send, when enough peer streams closed.
  std::optional<std::uint64_t> poll_max_streams(direction d) noexcept;
  void on_max_streams_lost(direction d, std::uint64_t value) noexcept;
  /// Our current limit on peer streams of direction `d` (count).
  std::uint64_t local_max_streams(direction d) const noexcept { return local_limit_[idx(d)]; }
  /// The peer's current limit on our streams of direction `d` (count).
  std::uint64_t peer_max_streams(direction d) const noexcept { return peer_limit_[idx(d)]; }

  // --- scheduling and housekeeping ---

  /// Sets a stream's urgency (0-7, lower first).
  void set_urgency(stream_id id, std::uint8_t urgency);

  /// Re-evaluates `id` after a change: schedules or unschedules its sending
  /// half, queues it for control frames, releases it when fully closed.
  /// Returns false when the stream was released (pointers to it dangle).
  bool update(stream_id id);

  /// The stream whose turn it is to send data, or nullptr.
  stream* next_to_send() noexcept;
  /// The same among the streams allowed early (stream::allow_early): what a
  /// 0-RTT packet may carry. Leaves the others' turns alone.
  stream* next_early_to_send() noexcept;
  /// After a chunk from `id` went into a packet: rotates it within its
  /// urgency level (round robin) and re-evaluates it as update() does.
  bool on_chunk_sent(stream_id id);

  /// The next stream with a control frame to poll (RESET_STREAM,
  /// STREAM_DATA_BLOCKED, MAX_STREAM_DATA, STOP_SENDING), or nothing.
  std::optional<stream_id> next_control() noexcept;

private:
  static constexpr std::size_t idx(direction d) noexcept { return static_cast<std::size_t>(d); }
  stream& create(stream_id id);
  std::uint64_t initial_send_credit(stream_id id) const noexcept;
  void on_peer_stream_closed(direction d) noexcept;

  stream_map_config cfg_;
  peer_stream_limits peer_{};
  range_budget ranges_budget_; // declared before streams_, which draw on it
  std::unordered_map<stream_id, stream> streams_;
  send_scheduler scheduler_;
  util::lazy_deque<stream_id> control_;
  std::array<util::lazy_deque<stream_id>, 2> accept_;

  std::array<std::uint64_t, 2> next_local_{}; // our streams opened, per direction
  std::array<std::uint64_t, 2> peer_limit_{}; // peer's MAX_STREAMS for us
  std::array<std::uint64_t, 2> blocked_reported_{UINT64_MAX, UINT64_MAX};
  std::array<bool, 2> blocked_pending_{};

  std::array<std::uint64_t, 2> next_peer_{};   // peer streams opened (implicitly or not)
  std::array<std::uint64_t, 2> local_limit_{}; // MAX_STREAMS we advertised
  std::array<std::uint64_t, 2> peer_closed_{}; // peer streams released
  std::array<bool, 2> max_streams_pending_{};
};

} // namespace tern::stream
