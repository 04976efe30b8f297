#pragma once

// The sans-IO connection (docs/connection.md, docs/protocol.md §8-9): it
// takes datagrams and a `now`, and produces datagrams and a next timeout.
// It never reads a clock, touches a socket or uses a global random source.
//
//   on_datagram(bytes, from, now)        feed one received UDP payload
//   poll_transmit(out, now)              -> {size, to} of the next datagram, or nothing
//   next_timeout()                       -> when on_timeout must run (tern::never if idle)
//   on_timeout(now)
//
// plus the application API: streams, datagrams, deadline messages, close,
// events and stats.

#include "core/address.hpp"
#include "core/connection_config.hpp"
#include "core/connection_ids.hpp"
#include "core/errc.hpp"
#include "core/packet_protection.hpp"
#include "core/path_mtu.hpp"
#include "core/sent_frames.hpp"
#include "crypto/tls_session.hpp"
#include "qlog/observer.hpp"
#include "recovery/ack_tracker.hpp"
#include "recovery/sender.hpp"
#include "stream/datagram_queue.hpp"
#include "stream/message_receiver.hpp"
#include "stream/message_sender.hpp"
#include "stream/stream_map.hpp"
#include "wire/frames.hpp"
#include "wire/header.hpp"
#include "wire/writer.hpp"

#include <tern/random.hpp>
#include <tern/time.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_set>
#include <system_error>
#include <vector>

namespace tern::core {

/// A datagram poll_transmit() wrote: `size` bytes at the start of the
/// caller's buffer, to send to `to`.
struct transmit {
  std::size_t size = 0;
  address to;
  /// Send it with the ECT(0) codepoint (connection_config::ecn, and ECN not
  /// found broken on this path); otherwise Not-ECT.
  bool ect0 = false;
};

/// docs/protocol.md §9.1.
enum class connection_state : std::uint8_t {
  handshaking, ///< TLS in progress (client: until HANDSHAKE_DONE)
  established, ///< handshake confirmed; application data flows
  closing,     ///< this side sent CONNECTION_CLOSE; answering the peer with it for 3 PTOs
  draining,    ///< the peer sent CONNECTION_CLOSE; silent for 3 PTOs
  closed,      ///< nothing more will happen
};

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

struct connection_event {
  enum class kind : std::uint8_t {
    handshake_complete, ///< handshake confirmed; open streams, send data
    stream_opened,      ///< the peer opened `stream_id` (accept_stream() returns it)
    stream_readable,    ///< `stream_id` has data, FIN or a reset to read
    stream_writable,    ///< `stream_id` has room in its send buffer again
    datagram_received,  ///< receive_datagram() has one
    message_received,   ///< receive_message() has an event (a message or a drop notice)
    path_changed,       ///< the peer's new address was validated and is now used
    closed,             ///< the connection is closing, draining or closed: see close_reason()
  };
  kind what = kind::handshake_complete;
  std::uint64_t stream_id = 0;
};

/// For monitoring. Durations are zero before the first RTT sample.
struct connection_stats {
  duration srtt{0};
  duration rttvar{0};
  duration min_rtt{0};
  std::uint64_t cwnd = 0;               ///< bytes
  std::uint64_t pacing_rate = 0;        ///< bytes per second
  std::uint64_t bytes_in_flight = 0;
  /// Bytes per second: the congestion controller's bandwidth estimate
  /// (recovery::sender::bandwidth_estimate: BBR's bottleneck bandwidth,
  /// cwnd/SRTT for CUBIC and NewReno), 0 before it has one. The rate an
  /// encoder can aim at.
  std::uint64_t delivery_rate = 0;
  std::uint64_t packets_sent = 0;
  std::uint64_t packets_received = 0;
  std::uint64_t packets_lost = 0;
  std::uint64_t packets_retransmitted = 0; ///< sent carrying data declared lost before
  double retransmission_rate = 0;       ///< packets_retransmitted / packets_sent
  std::uint64_t spurious_retransmits = 0;
  std::uint64_t bytes_sent = 0;          ///< UDP payload bytes
  std::uint64_t bytes_received = 0;
  std::uint64_t packets_dropped = 0;     ///< undecodable, unauthenticated, duplicate or for unknown IDs
  std::uint64_t authentication_failures = 0;
  std::uint64_t key_updates = 0;         ///< 1-RTT key generation being sent
  std::uint64_t stream_bytes_sent = 0;   ///< new stream data, all streams
  /// Stream bytes sent again after a loss: compare with packets_lost times
  /// the payload size (packets_retransmitted counts every packet carrying
  /// any resent byte, so one lost packet's data split over two counts twice).
  std::uint64_t stream_bytes_retransmitted = 0;
  std::uint64_t stream_bytes_received = 0;
  /// Deadline messages sent (stream::message_sender_stats): fragments
  /// including retransmissions and last-chance duplicates, retransmitted
  /// fragments, duplicates, and messages abandoned at their deadline.
  std::uint64_t message_fragments_sent = 0;
  std::uint64_t message_retransmissions = 0;
  std::uint64_t message_duplicates = 0;
  std::uint64_t messages_abandoned = 0;
  /// Path MTU discovery: the UDP payload size datagrams may have now, and
  /// the probes (core::pmtud_stats).
  std::size_t datagram_size = 0;
  std::uint64_t mtu_probes_sent = 0;
  std::uint64_t mtu_probes_lost = 0;
  std::uint64_t mtu_black_holes = 0;
  /// ECN (RFC 9000 §13.4): packets received with ECT(0), ECT(1) and CE
  /// marks; the CE count the peer last reported for packets this side sent;
  /// whether this side still marks ECT(0) (it stops when validation fails).
  std::uint64_t ecn_ect0_received = 0;
  std::uint64_t ecn_ect1_received = 0;
  std::uint64_t ecn_ce_received = 0;
  std::uint64_t ecn_ce_reported = 0;
  bool ecn_marking = false;
};

/// One tern connection, client or server. Not thread-safe. Errors caused by
/// the network never throw or assert: bad packets are dropped or close the
/// connection with the right transport error.
class connection {
public:
  /// A client connection to `peer`; the first poll_transmit() produces the
  /// Initial packet. `tls` must be a client context; `rng` must outlive the
  /// connection. Errors: the TLS session's (internal_error), key derivation.
  ///
  /// `address_token` is a token an earlier connection to the same server
  /// received in a NEW_TOKEN frame (received_token()); the client puts it in
  /// its Initials so a server requiring address validation needs no Retry.
  /// A Retry, if one comes anyway, replaces it.
  static std::unique_ptr<connection> connect(const connection_config& config,
                                             std::shared_ptr<const crypto::tls_context> tls, const address& peer,
                                             random_source& rng, time_point now, std::error_code& ec,
                                             std::span<const std::byte> address_token = {});

  /// A server connection for a client whose first Initial packet carried
  /// `client_dcid` (destination) and `client_scid` (source) and came from
  /// `peer`. Feed that datagram with on_datagram() next. `tls` must be a
  /// server context. Errors: as connect(), invalid_argument for an empty
  /// client_dcid.
  ///
  /// After a Retry (core/retry.hpp), `retry_original_dcid` is the DCID of
  /// the client's very first Initial, recovered from its validated token:
  /// the handshake keys come from it, `client_dcid` (the Retry's Source
  /// Connection ID) becomes this side's first connection ID, and the
  /// client's address counts as validated (no amplification limit).
  /// `address_validated` says the same without a Retry: the Initial carried
  /// a valid NEW_TOKEN token (retry_validator::admit, accept_validated).
  static std::unique_ptr<connection> accept(const connection_config& config,
                                            std::shared_ptr<const crypto::tls_context> tls, const address& peer,
                                            const wire::connection_id& client_dcid,
                                            const wire::connection_id& client_scid, random_source& rng,
                                            time_point now, std::error_code& ec,
                                            const std::optional<wire::connection_id>& retry_original_dcid = std::nullopt,
                                            bool address_validated = false);

  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // --- sans-IO ------------------------------------------------------------

  /// Processes one received UDP payload from `from`. Never fails: garbage is
  /// dropped and counted, protocol violations close the connection.
  void on_datagram(std::span<const std::byte> datagram, const address& from, time_point now,
                   recovery::ecn_mark ecn = recovery::ecn_mark::not_ect);
  /// The same, working in the caller's buffer instead of a copy of it:
  /// header protection is removed and payloads are decrypted in place, so
  /// afterwards the bytes are unspecified. Nothing refers to them once this
  /// returns. For drivers that own the receive buffer (the endpoint).
  void on_datagram_in_place(std::span<std::byte> datagram, const address& from, time_point now,
                            recovery::ecn_mark ecn = recovery::ecn_mark::not_ect);
  /// Writes the next datagram to send into `out` (at least 1200 bytes), or
  /// returns nothing when there is nothing to send now.
  std::optional<transmit> poll_transmit(std::span<std::byte> out, time_point now);
  /// When on_timeout() must be called; tern::never when nothing is pending.
  time_point next_timeout() const noexcept;
  void on_timeout(time_point now);

  // --- state and events ---------------------------------------------------

  connection_state state() const noexcept { return state_; }
  bool is_client() const noexcept { return role_ == crypto::tls_role::client; }
  bool is_established() const noexcept { return state_ == connection_state::established; }
  bool is_closed() const noexcept { return state_ == connection_state::closed; }
  /// How the connection ended (meaningful once the closed event was emitted).
  const close_info& close_reason() const noexcept { return close_; }
  std::optional<connection_event> poll_event();
  connection_stats stats() const;
  /// The negotiated ALPN protocol ("" if none), once the handshake completed.
  std::string alpn() const;
  /// The peer's certificate SPKI fingerprint, once received.
  std::optional<crypto::spki_digest> peer_fingerprint() const;
  const address& peer_address() const noexcept { return peer_address_; }
  /// Connection IDs this side issued: the endpoint routes datagrams whose
  /// Destination Connection ID is one of them (retired ones flagged).
  const std::vector<connection_ids::local_id>& local_connection_ids() const noexcept { return ids_.local_ids(); }
  /// The client's original Destination Connection ID (the endpoint routes
  /// the client's retransmitted Initials by it; after a Retry they carry a
  /// connection ID of ours instead).
  const wire::connection_id& original_dcid() const noexcept { return original_dcid_; }

  // --- address-validation tokens for future connections (NEW_TOKEN) --------

  /// Server: sends `token` (retry_validator::write_new_token) to the client
  /// in a NEW_TOKEN frame, again if lost; a later call replaces a token not
  /// yet sent. Errors: invalid_argument (a client, or a token empty or
  /// longer than max_new_token_length), not_established, connection_closed.
  std::error_code send_new_token(std::span<const std::byte> token);
  /// Client: the token of the last NEW_TOKEN frame received (empty if none),
  /// for connect()'s `address_token` on a later connection to this server.
  const std::vector<std::byte>& received_token() const noexcept { return received_token_; }
  /// Longest token either side handles; a longer NEW_TOKEN is ignored.
  static constexpr std::size_t max_new_token_length = 256;

  // --- streams ------------------------------------------------------------

  /// Opens a stream of ours. Errors: streams_blocked (peer's MAX_STREAMS),
  /// connection_closed.
  std::optional<std::uint64_t> open_stream(stream::direction d, std::error_code& ec);
  /// The next stream the peer opened that was not accepted yet.
  std::optional<std::uint64_t> accept_stream(stream::direction d);
  /// Buffers up to data.size() bytes; returns how many (0 when the buffer is
  /// full: wait for stream_writable). Errors: unknown_stream,
  /// invalid_stream_direction, stream_closed, stopped_by_peer,
  /// connection_closed.
  std::size_t write(std::uint64_t id, std::span<const std::byte> data, std::error_code& ec);
  /// Ends the stream after what was written (FIN).
  std::error_code finish(std::uint64_t id);
  /// Reads in-order bytes. Errors: unknown_stream, invalid_stream_direction,
  /// reset_by_peer (the result carries the peer's code), stream_closed.
  stream::read_result read(std::uint64_t id, std::span<std::byte> out, std::error_code& ec);
  /// RESET_STREAM with `app_error`.
  std::error_code reset_stream(std::uint64_t id, std::uint64_t app_error);
  /// STOP_SENDING with `app_error`.
  std::error_code stop_sending(std::uint64_t id, std::uint64_t app_error);
  /// Urgency 0 (first) to 7.
  std::error_code set_urgency(std::uint64_t id, std::uint8_t urgency);
  /// Bytes write() would accept now on `id` (0 for unknown streams).
  std::size_t writable(std::uint64_t id);

  // --- datagrams and messages -------------------------------------------

  /// Queues an unreliable datagram, discarded unsent after `deadline`.
  /// Errors: message_too_large, buffer_full, connection_closed.
  std::error_code send_datagram(std::span<const std::byte> payload, time_point deadline = never);
  /// Copies the oldest received datagram into `out`; returns its full size.
  std::optional<std::size_t> receive_datagram(std::span<std::byte> out);
  /// Queues a message to deliver before `deadline`; returns its id.
  /// Errors: message_sender's (message_too_large, buffer_full,
  /// deadline_passed, invalid_argument), connection_closed.
  std::optional<std::uint64_t> send_message(std::span<const std::byte> message, time_point deadline, time_point now,
                                            std::error_code& ec);
  /// The next message event in id order: a whole message, or a notice that
  /// messages were dropped.
  std::optional<stream::message_event> receive_message(time_point now);

  // --- closing ------------------------------------------------------------

  /// Closes with an application error code (0 for a normal close): sends
  /// CONNECTION_CLOSE and enters closing.
  void close(std::uint64_t app_error, std::string_view reason, time_point now);

  // --- tracing ------------------------------------------------------------

  /// Attaches `observer` (replacing the one config.qlog gave, if any); null
  /// detaches. It sees every event from the next call on.
  void set_qlog_observer(std::unique_ptr<qlog::observer> observer) noexcept { qlog_ = std::move(observer); }
  /// Why config.qlog made no observer (for a qlog::trace_directory: the
  /// file could not be created); the connection then runs untraced.
  std::error_code qlog_error() const noexcept { return qlog_error_; }

  // --- for tests ----------------------------------------------------------

  /// Starts a key update now if allowed (otherwise they happen on their own
  /// before the AEAD limits). Returns whether one started.
  bool initiate_key_update();
  std::uint64_t key_generation() const noexcept;

private:
  // Test-only seam, defined in tests/support/connection_test_access.hpp.
  friend struct connection_test_access;

  struct pending_path;
  connection(const connection_config& config, crypto::tls_role role, random_source& rng);

  // connection.cpp: lifecycle and application API.
  std::error_code start(std::shared_ptr<const crypto::tls_context> tls, time_point now);
  void emit(connection_event::kind k, std::uint64_t id = 0);
  void handle_timeout(time_point now);
  void enter_closing(const close_info& info, time_point now);
  void enter_draining(const close_info& info, time_point now);
  void close_transport(wire::transport_error code, std::uint64_t frame_type, std::string_view reason, time_point now);
  void close_transport_code(std::uint64_t code, std::error_code local, std::string_view reason, time_point now);
  void fail_handshake(time_point now);
  void make_connection_id(wire::connection_id& out);
  duration pto() const noexcept;
  void on_handshake_complete(time_point now);
  void on_handshake_confirmed(time_point now);
  void issue_connection_ids();
  void update_stream(std::uint64_t id);
  void requeue_crypto_in_flight();
  void pump_tls_output();

  // connection_qlog.cpp: the hooks, each called only when qlog_ is set.
  void open_qlog(time_point now);
  /// Decodes `plaintext` (a packet's payload, before sealing or after
  /// opening) into the frame list the next qlog_packet reports.
  void qlog_frames(wire::packet_type type, std::span<const std::byte> plaintext);
  void qlog_packet(bool sent, wire::packet_type type, std::uint64_t number, std::size_t bytes,
                   time_point now);
  void qlog_losses(std::span<const recovery::sent_packet> lost, bool by_timer, time_point now);
  /// Reports the state, metrics and keys after a call into the connection.
  void qlog_sync(time_point now);

  // connection_retry.cpp: the client's side of a Retry.
  void on_retry(std::span<const std::byte> packet, const wire::decoded_header& layout);
  // connection_new_token.cpp: a NEW_TOKEN frame received.
  std::error_code on_new_token(const wire::new_token_frame& f);

  // connection_recv.cpp: packet and frame processing.
  void process_packet(std::span<std::byte> datagram_rest, std::size_t& consumed, const address& from,
                      std::size_t datagram_size, time_point now, bool& stop);
  std::error_code process_frames(std::span<const std::byte> payload, wire::packet_type type, const address& from,
                                 time_point now, bool& ack_eliciting, bool& probing_only, std::uint64_t& bad_frame);
  std::error_code on_ack(const wire::ack_frame& f, time_point now);
  std::error_code on_crypto(const wire::crypto_frame& f, time_point now);
  std::error_code on_stream(const wire::stream_frame& f);
  void on_acked_frames(std::uint64_t cookie);
  void on_lost_frames(std::uint64_t cookie);
  void handle_losses(std::span<const recovery::sent_packet> lost, bool by_timer, time_point now);
  void on_peer_close(const wire::connection_close_frame& f, time_point now);
  void start_path_validation(const address& to, time_point now);
  void replay_early_datagrams(time_point now);
  void note_peer_stream(std::uint64_t id);
  void mark_readable(std::uint64_t id);
  void mark_writable(std::uint64_t id);
  /// Per-stream send buffer cap for the current congestion window.
  std::size_t send_buffer_limit() const noexcept;
  void update_handshake_probe(time_point now);
  // connection_path_mtu.cpp: DPLPMTUD hooks.
  /// The probe size the datagram being built should have (it fits in
  /// `room` bytes), or 0 for an ordinary datagram.
  std::size_t mtu_probe_size(std::size_t room) const noexcept;
  void on_mtu_probe_sent(std::uint64_t packet_number, std::size_t size);
  /// Path MTU discovery's view of acknowledged and lost packets.
  void on_path_mtu_acked(const recovery::sent_packet& p, time_point now);
  void on_path_mtu_lost(const recovery::sent_packet& p, time_point now);
  /// A probe timeout fired (RFC 9002 §6.2).
  void on_path_mtu_timeout(time_point now);
  /// A new path starts again from max_datagram_size.
  void restart_path_mtu();

  // connection_ecn.cpp: ECN marking and its validation.
  /// Whether the datagram being built goes out ECT(0).
  bool ecn_marks_now() const noexcept;
  void on_ecn_marked_sent(std::uint64_t packet_number);
  /// Checks an ACK's ECN counts against the marked packets it newly
  /// acknowledges (`newly_marked`).
  void on_ack_ecn(const wire::ack_frame& f, std::uint64_t newly_marked);
  /// Newly acknowledged packets that were sent marked.
  bool was_ecn_marked(std::uint64_t packet_number) const noexcept;

  // connection_send.cpp: packet building.
  std::optional<transmit> build_datagram(std::span<std::byte> out, time_point now);
  std::optional<transmit> build_close(std::span<std::byte> out, time_point now);
  std::size_t build_packet(std::span<std::byte> out, wire::packet_type type, time_point now, bool& ack_eliciting,
                           std::size_t min_size, bool allow_data, bool& wrote, bool response_only);
  void write_frames(wire::writer& w, wire::packet_type type, time_point now, bool& ack_eliciting,
                    bool& retransmitted);
  void write_stream_frames(wire::writer& w, bool& ack_eliciting, bool& retransmitted);
  bool wants_long_header() const noexcept;
  bool has_ack_eliciting_to_send(time_point now);
  std::size_t amplification_budget() const noexcept;

  connection_config config_;
  crypto::tls_role role_;
  random_source& rng_;
  connection_state state_ = connection_state::handshaking;
  close_info close_;
  std::deque<connection_event> events_;

  // Handshake.
  std::unique_ptr<crypto::tls_session> tls_;
  stream::send_stream crypto_send_;
  stream::recv_stream crypto_recv_;
  bool handshake_complete_ = false;  // TLS finished on this side
  bool handshake_confirmed_ = false; // server: = complete; client: HANDSHAKE_DONE received
  bool handshake_done_pending_ = false;
  bool heard_from_peer_ = false;     // client: a server packet arrived (Initial -> Handshake packets)
  bool retry_received_ = false;      // client: a Retry was accepted; no other one is
  // client: the Token field of every Initial: connect()'s NEW_TOKEN token,
  // replaced by the token of an accepted Retry.
  std::vector<std::byte> initial_token_;
  std::vector<std::byte> new_token_out_;   // server: to send in NEW_TOKEN (resent if lost)
  bool new_token_pending_ = false;
  std::vector<std::byte> received_token_; // client: from the last NEW_TOKEN
  time_point handshake_deadline_ = never;
  time_point created_{};

  // Keys and packet numbers: one packet number space for all packet types.
  packet_protection keys_;
  recovery::sender sender_;
  recovery::ack_tracker acks_;
  sent_frames sent_;
  std::uint64_t consecutive_non_eliciting_ = 0;
  std::uint64_t key_updates_ = 0;

  // Connection IDs and paths.
  connection_ids ids_;
  wire::connection_id original_dcid_; // client's first DCID: handshake keys
  wire::connection_id local_initial_cid_;
  address peer_address_;
  bool address_validated_ = false; // server: the client proved it receives at peer_address_
  std::uint64_t path_bytes_received_ = 0;
  std::uint64_t path_bytes_sent_ = 0;
  struct path_validation {
    bool active = false;
    address to;
    std::array<std::byte, 8> data{};
    bool challenge_pending = false;
    time_point deadline = never;
    address previous;
    bool previous_validated = false;
  } path_;
  struct path_response_pending {
    std::array<std::byte, 8> data{};
    address to;
  };
  std::deque<path_response_pending> responses_;
  std::optional<path_response_pending> pending_response_; // being written alone to another address

  // Streams, flow control, datagrams, messages.
  stream::stream_map streams_;
  stream::send_credit conn_send_credit_;
  stream::recv_window conn_recv_window_;
  std::vector<std::uint64_t> want_writable_;
  stream::datagram_send_queue datagrams_out_;
  stream::datagram_recv_queue datagrams_in_;
  stream::message_sender messages_out_;
  stream::message_receiver messages_in_;
  bool message_event_pending_ = false;

  // Timers and liveness.
  time_point last_received_ = {};
  time_point last_ack_eliciting_sent_ = {};
  bool ack_eliciting_since_receive_ = false;
  bool ping_pending_ = false;
  /// Ack-eliciting packets still to send after a message's last fragment
  /// (PING-only if nothing else is queued), and whether the packet being
  /// built carries such a last fragment.
  std::size_t tail_probes_pending_ = 0;
  bool tail_in_packet_ = false;
  /// The packet being built uses the congestion-window allowance of
  /// deadline messages and carries nothing else that is flow-controlled.
  bool messages_only_ = false;
  time_point close_deadline_ = never;
  bool close_frame_pending_ = false;
  bool closed_event_sent_ = false;
  wire::packet_type close_packet_type_ = wire::packet_type::one_rtt;
  std::string close_reason_bytes_;
  time_point handshake_probe_at_ = never;
  std::uint64_t close_frame_type_ = 0;
  time_point pacing_release_ = never; // data waits for the pacer until then

  // Path MTU discovery: the datagram size, and the one probe in flight
  // (its packet number tells its acknowledgement or loss apart).
  pmtud path_mtu_;
  std::uint64_t mtu_probe_packet_ = recovery::no_packet;
  std::uint32_t silent_timeouts_ = 0; // probe timeouts since anything was acknowledged

  // ECN: the codepoint of the datagram being processed, the first packet
  // sent ECT(0), the peer's counts so far, and whether validation failed.
  recovery::ecn_mark rx_ecn_ = recovery::ecn_mark::not_ect;
  std::uint64_t ecn_first_marked_ = recovery::no_packet;
  std::uint64_t peer_ect0_ = 0;
  std::uint64_t peer_ce_ = 0;
  bool ecn_failed_ = false;

  // 1-RTT datagrams that arrived before 1-RTT keys.
  struct early_datagram {
    std::vector<std::byte> bytes;
    address from;
  };
  std::deque<early_datagram> early_;

  std::vector<std::byte> rx_buffer_;
  std::vector<std::byte> injected_frames_;
  bool datagram_counted_ = false;   // the datagram being processed counted towards the path
  bool replay_early_pending_ = false;
  std::array<std::uint64_t, 2> peer_streams_seen_{}; // stream_opened emitted below these indexes
  std::unordered_set<std::uint64_t> readable_pending_;
  bool control_dirty_ = true; // stream control frames may be pending
  time_point last_sent_{};
  std::vector<std::byte> crypto_scratch_;

  // qlog: the trace, and the key generations it was last told about.
  std::unique_ptr<qlog::observer> qlog_;
  std::error_code qlog_error_;
  std::vector<wire::frame> qlog_frames_; ///< of the packet being reported, reused
  struct qlog_keys_seen {
    bool installed = false;
    std::uint64_t send = 0;
    std::uint64_t receive = 0;
    std::uint64_t local_updates = 0;
    bool last_local = false;
  } qlog_keys_;

  // Counters.
  std::uint64_t packets_received_ = 0;
  std::uint64_t packets_dropped_ = 0;
  std::uint64_t packets_retransmitted_ = 0;
  std::uint64_t bytes_sent_ = 0;
  std::uint64_t bytes_received_ = 0;
  std::uint64_t stream_bytes_sent_ = 0;
  std::uint64_t stream_bytes_retransmitted_ = 0;
  std::uint64_t stream_bytes_received_ = 0;
};

} // namespace tern::core
