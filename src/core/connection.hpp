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
#include "core/close_state.hpp"
#include "core/connection_config.hpp"
#include "core/connection_events.hpp"
#include "core/connection_ids.hpp"
#include "core/connection_parts.hpp"
#include "core/ecn_validation.hpp"
#include "core/errc.hpp"
#include "core/packet_protection.hpp"
#include "core/path_state.hpp"
#include "core/resumption_offer.hpp"
#include "core/send_flags.hpp"
#include "core/sent_frames.hpp"
#include "core/target_rate_report.hpp"
#include "crypto/tls_session.hpp"
#include "fec/connection_repair.hpp"
#include "qlog/observer.hpp"
#include "recovery/ack_tracker.hpp"
#include "recovery/sender.hpp"
#include "stream/datagram_queue.hpp"
#include "stream/message_flow_receiver.hpp"
#include "stream/message_flow_sender.hpp"
#include "stream/stream_map.hpp"
#include "wire/frames.hpp"
#include "wire/header.hpp"
#include "wire/writer.hpp"

#include <tern/random.hpp>
#include <tern/time.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
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
  /// Bytes per second a media encoder may produce without building a queue
  /// (cc::target_rate_estimator), 0 before the first ACK; and the queueing
  /// delay it sees (smoothed RTT above the minimum).
  std::uint64_t target_rate = 0;
  duration queueing_delay{0};
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
  std::uint64_t path_changes = 0;        ///< validated moves to a new peer address
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
  /// Forward error correction (docs/fec.md): REPAIR packets and their frame
  /// bytes sent, packets rebuilt from repair here and at the peer (its
  /// reports), repair's share of the bytes sent, and the path loss rate
  /// and mean burst the peer reports (what adaptation works from).
  std::uint64_t fec_repair_packets_sent = 0;
  std::uint64_t fec_repair_bytes_sent = 0;
  std::uint64_t fec_packets_recovered = 0;
  std::uint64_t fec_peer_packets_recovered = 0;
  double fec_overhead = 0;
  double fec_path_loss_rate = 0;
  double fec_path_mean_burst = 1;
  /// Packets the peer rebuilt, told to congestion control as losses.
  std::uint64_t fec_repaired_losses = 0;
  /// Client: 0-RTT packets the server rejected unopened, forgotten by
  /// recovery without counting as lost (connection_resumption.cpp).
  std::uint64_t zero_rtt_packets_discarded = 0;
  /// Server: message fragments received in 0-RTT packets (flows the client
  /// allowed early, on a connection whose early data this side accepted).
  std::uint64_t early_message_fragments_received = 0;
  /// Server: plain datagrams that came in 0-RTT packets, delivered
  /// (connection_config::accept_early_datagrams) or dropped unread.
  std::uint64_t early_datagrams_received = 0;
  std::uint64_t early_datagrams_refused = 0;
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
  ///
  /// `resume` offers a session ticket of an earlier connection
  /// (session_ticket()), and early data with it (docs/crypto.md,
  /// "Resumption"); a ticket the client refuses to offer (another server
  /// name, ALPN or server key; ticket_refused() says which) or the server
  /// refuses leaves a full handshake.
  static std::unique_ptr<connection> connect(const connection_config& config,
                                             std::shared_ptr<const crypto::tls_context> tls, const address& peer,
                                             random_source& rng, time_point now, std::error_code& ec,
                                             std::span<const std::byte> address_token = {},
                                             const resumption_offer& resume = {});

  /// A server connection for a client whose first Initial packet carried
  /// `client_dcid` (destination) and `client_scid` (source) and came from
  /// `peer`. Feed that datagram with on_datagram() next. `tls` must be a
  /// server context. Errors: as connect(), invalid_argument for an empty
  /// client_dcid.
  ///
  /// After a Retry (core/address_validation.hpp), `retry_original_dcid` is the DCID of
  /// the client's very first Initial, recovered from its validated token:
  /// the handshake keys come from it, `client_dcid` (the Retry's Source
  /// Connection ID) becomes this side's first connection ID, and the
  /// client's address counts as validated (no amplification limit).
  /// `address_validated` says the same without a Retry: the Initial carried
  /// a valid NEW_TOKEN token (address_validation::admit, accept_validated).
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
  const close_info& close_reason() const noexcept { return close_.info; }
  std::optional<connection_event> poll_event();
  connection_stats stats() const;
  /// The target rate the last target_rate_changed event reported (0: none yet).
  [[nodiscard]] std::uint64_t reported_target_rate() const noexcept { return target_rate_report_.reported(); }
  /// The negotiated ALPN protocol ("" if none), once the handshake completed.
  std::string alpn() const;
  /// The peer's certificate SPKI fingerprint, once received.
  std::optional<crypto::spki_digest> peer_fingerprint() const;
  /// The key the peer presented in a handshake still in progress or
  /// failed, accepted or not (a refused client's, for logs).
  /// Ends a server connection whose handshake is in progress at once,
  /// sending nothing, with close error `why`: the endpoint drops it to
  /// admit a fairer one (half_open_budget, too_many_connections) or because
  /// its client never answered (handshake_timeout). No effect once
  /// established or closed.
  void drop_handshake(core_errc why = core_errc::too_many_connections);
  /// Server: the client answered the server's first flight (a Handshake
  /// packet of its authenticated), so the handshake is making progress.
  bool client_answered() const noexcept { return handshake_.client_answered; }
  /// The probe timeout from the RTT measured so far (the initial RTT before
  /// any sample), without backoff.
  duration probe_timeout() const noexcept { return pto(); }
  std::optional<crypto::spki_digest> presented_fingerprint() const {
    return handshake_.tls ? handshake_.tls->presented_spki() : std::nullopt;
  }
  const address& peer_address() const noexcept { return path_.peer; }
  /// Connection IDs this side issued and the peer has not retired: the
  /// endpoint routes datagrams whose Destination Connection ID is one of
  /// them, and unroutes one it routed that is no longer listed. At most
  /// active_connection_ids long (+1 while one is replaced).
  const std::vector<connection_ids::local_id>& local_connection_ids() const noexcept { return ids_.local_ids(); }
  /// Changes whenever local_connection_ids() does.
  std::uint64_t local_connection_id_changes() const noexcept { return ids_.local_changes(); }
  /// The client's original Destination Connection ID (the endpoint routes
  /// the client's retransmitted Initials by it; after a Retry they carry a
  /// connection ID of ours instead).
  const wire::connection_id& original_dcid() const noexcept { return original_dcid_; }

  // --- address-validation tokens for future connections (NEW_TOKEN) --------

  /// Server: sends `token` (address_validation::write_new_token) to the client
  /// in a NEW_TOKEN frame, again if lost; a later call replaces a token not
  /// yet sent. Errors: invalid_argument (a client, or a token empty or
  /// longer than max_new_token_length), not_established, connection_closed.
  std::error_code send_new_token(std::span<const std::byte> token);
  /// Client: the token of the last NEW_TOKEN frame received (empty if none),
  /// for connect()'s `address_token` on a later connection to this server.
  const std::vector<std::byte>& received_token() const noexcept { return tokens_.received; }
  /// Longest token either side handles; a longer NEW_TOKEN is ignored.
  static constexpr std::size_t max_new_token_length = 256;

  // --- resumption (connection_resumption.cpp) ------------------------------

  /// Client whose TLS context keeps tickets: the last session ticket the
  /// server sent (empty until one arrives, shortly after the handshake), for
  /// connect()'s `resume` later. Holds a secret: never log it.
  const std::vector<std::byte>& session_ticket() const noexcept;
  /// Client: why the ticket offered to connect() was not offered (empty if
  /// none was given, or it was offered).
  std::error_code ticket_refused() const noexcept { return handshake_.ticket_refused; }
  /// The handshake resumed a session (both sides know once it completed).
  bool resumed() const noexcept { return handshake_.resumed; }
  /// Early data went in 0-RTT packets and the server took it (client: known
  /// once the handshake completed; server: as soon as it accepted).
  bool early_data_accepted() const noexcept;
  /// Client: the server rejected the early data; it was sent again under
  /// 1-RTT keys.
  bool early_data_rejected() const noexcept { return early_.rejected; }
  /// The application may send before the handshake completes: a client
  /// that offered early data (0-RTT keys, streams allowed early only), a
  /// server that accepted it (0.5-RTT). False once the handshake completed.
  bool sends_before_handshake() const noexcept;

  // --- streams ------------------------------------------------------------

  /// Opens a stream of ours. Errors: streams_blocked (peer's MAX_STREAMS),
  /// connection_closed.
  std::optional<std::uint64_t> open_stream(stream::direction d, std::error_code& ec);
  /// The same; with `allow_early`, the stream's data may go in 0-RTT packets
  /// when the connection offered early data (it may be replayed).
  std::optional<std::uint64_t> open_stream(stream::direction d, bool allow_early, std::error_code& ec);
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
  /// `options`: the flow (ids count per flow) and the message it depends on
  /// (message_flow_sender::send).
  std::optional<std::uint64_t> send_message(std::span<const std::byte> message, time_point deadline, time_point now,
                                            std::error_code& ec, const message_options& options = {});
  /// How message flow `flow` is ordered and prioritised. Errors:
  /// invalid_argument (flow or options out of range).
  std::error_code configure_message_flow(std::uint8_t flow, const message_flow_options& options);
  /// The sending side's counters for one message flow.
  stream::message_sender_stats message_flow_stats(std::uint8_t flow) const noexcept {
    return messages_out_.flow_stats(flow);
  }
  /// The next message event of any flow, in id order within the flow: a
  /// whole message, or a notice that messages were dropped.
  std::optional<stream::message_event> receive_message(time_point now);

  // --- closing ------------------------------------------------------------

  /// Closes with an application error code (0 for a normal close): sends
  /// CONNECTION_CLOSE and enters closing.
  void close(std::uint64_t app_error, std::string_view reason, time_point now);

  // --- tracing ------------------------------------------------------------

  /// Attaches `observer` (replacing the one config.qlog gave, if any); null
  /// detaches. It sees every event from the next call on.
  void set_qlog_observer(std::unique_ptr<qlog::observer> observer) noexcept {
    qlog_.observer = std::move(observer);
  }
  /// Why config.qlog made no observer (for a qlog::trace_directory: the
  /// file could not be created); the connection then runs untraced.
  std::error_code qlog_error() const noexcept { return qlog_.error; }

private:
  // Test-only seam, defined in tests/support/connection_test_access.hpp.
  friend struct connection_test_access;

  /// What one packet of the datagram being built may carry.
  struct packet_request {
    wire::packet_type type = wire::packet_type::one_rtt;
    /// Pad the datagram up to this many bytes (counted from the start of
    /// this packet's span, the caller's choice).
    std::size_t min_size = 0;
    /// Congestion control lets ack-eliciting frames go; otherwise an ACK only.
    bool allow_data = true;
    /// Only the PATH_RESPONSE of path_.response_alone (and an ACK).
    bool response_only = false;
    /// Sent under the deadline messages' congestion-window allowance: no
    /// datagrams and no stream data in the frames proper.
    bool messages_only = false;
    /// Sent while the drain guard holds the rest (cc::drain_guard): control
    /// frames and datagrams, no message fragments, stream data or repair.
    bool datagrams_only = false;
    /// Built with room left for a repair symbol over it (docs/fec.md): its
    /// message data may be protected.
    bool fec_source = false;
  };
  /// What the frames written so far into a packet amount to.
  struct frame_tally {
    bool ack_eliciting = false;
    bool retransmitted = false; ///< some frame carries data sent before
    bool message_tail = false;  ///< some fragment ends a deadline message
    bool message_data = false;  ///< some deadline-message fragment
    /// The shortest time to deadline of those fragments.
    duration message_slack = duration::max();
    /// The most urgent priority class among them (lower goes first).
    std::uint8_t message_priority = UINT8_MAX;
    /// Bit i: a fragment of message flow i.
    std::uint32_t message_flows = 0;
  };
  /// One packet built: its size (0: none) and what it carries.
  struct packet_result {
    std::size_t size = 0;
    frame_tally frames;
    /// A 1-RTT packet alone in its datagram, to go out ECT(0).
    bool ect0 = false;
  };
  /// An ACK frame written into a packet.
  struct ack_written {
    std::size_t length = 0;
    std::uint64_t largest = recovery::no_packet; ///< what it acknowledges; no_packet if none fit
  };
  /// A whole datagram built, before the bookkeeping of its sending.
  struct datagram_built {
    std::size_t size = 0;
    bool ack_eliciting = false;
    bool message_tail = false;
    bool ect0 = false;
  };
  /// The frames and ACK of a packet, written after its header.
  struct packet_body {
    std::size_t length = 0; ///< 0: nothing worth a packet
    frame_tally frames;
    std::uint64_t carried_ack = recovery::no_packet;
  };
  /// What the datagram being built may be, decided once per datagram.
  struct datagram_plan {
    std::size_t budget = 0;    ///< bytes it may take
    std::size_t mtu_probe = 0; ///< its exact size when a path MTU probe is due, else 0
    bool allow_data = false;   ///< ack-eliciting frames may go (else only a due ACK)
    bool messages_only = false;
    bool datagrams_only = false;
  };
  /// The datagram being processed.
  struct datagram_context {
    address from;
    std::size_t size = 0;
    recovery::ecn_mark ecn = recovery::ecn_mark::not_ect;
    /// Its bytes were counted towards the path (once, on the first packet
    /// that authenticated).
    bool counted = false;
  };
  /// How far the current packet of a datagram got: keep going with it, skip
  /// to the datagram's next packet, or drop the rest of the datagram.
  enum class packet_step : std::uint8_t { proceed, next, stop };
  /// A packet of a datagram processed: its length (0 when it could not be
  /// parsed) and whether the rest of the datagram is dropped.
  struct packet_done {
    std::size_t length = 0;
    bool drop_rest = false;
  };
  /// A packet whose protection was removed.
  struct opened_packet {
    packet_step step = packet_step::proceed;
    std::uint64_t number = 0;
    std::span<std::byte> payload;
    /// A server's handshake packet still sent to the client's original DCID.
    bool to_original_dcid = false;
  };

  connection(const connection_config& config, crypto::tls_role role, random_source& rng);

  // connection.cpp: lifecycle.
  std::error_code start(std::shared_ptr<const crypto::tls_context> tls, time_point now,
                        const resumption_offer& resume = {});
  void emit(connection_event::kind k, std::uint64_t id = 0);
  /// Emits `closed` unless it was already.
  void emit_closed_once();
  /// Closes without a CONNECTION_CLOSE (idle or handshake timeout).
  void close_silently(core_errc why);
  void enter_closing(const close_info& info, time_point now);
  void enter_draining(const close_info& info, time_point now);
  void close_transport(wire::transport_error code, std::uint64_t frame_type, std::string_view reason, time_point now);
  void close_transport_code(std::uint64_t code, std::error_code local, std::string_view reason, time_point now);
  void fail_handshake(time_point now);
  void make_connection_id(wire::connection_id& out);
  duration pto() const noexcept;
  duration idle_timeout() const noexcept;
  void on_handshake_complete(time_point now);
  void on_handshake_confirmed(time_point now);
  /// Frees the TLS session once the handshake is confirmed, keeping the ALPN
  /// and the peer's fingerprint (docs/security.md, memory per connection).
  void release_handshake_state();
  // connection_resumption.cpp.
  /// Client: keeps the TLS session past confirmation until a ticket came.
  bool awaiting_ticket() const noexcept;
  /// Client: data of a stream or message flow allowed early may go in a
  /// 0-RTT packet now.
  bool early_data_pending(time_point now) noexcept;
  /// 1-RTT packets may be sent: after the handshake, or a server's 0.5-RTT
  /// data once it accepted early data.
  bool can_send_one_rtt() const noexcept;
  /// Installs 0-RTT keys once the TLS session has them (client: offered;
  /// server: accepted, with its 1-RTT keys for 0.5-RTT data).
  void on_early_keys(time_point now);
  /// Client, at completion: rejected early data is sent again under 1-RTT.
  void settle_early_data();
  /// The handshake_complete event came at completion (a resumed client),
  /// not at confirmation.
  bool reports_at_completion() const noexcept;
  /// Emits handshake_complete once: at completion or at confirmation.
  void report_handshake_complete();
  void issue_connection_ids();
  void pump_tls_output();
  /// Starts a key update now if allowed (otherwise they happen on their own
  /// before the AEAD limits); whether one started. Tests only, through
  /// connection_test_access.
  bool initiate_key_update();
  /// The 1-RTT key generation being sent.
  std::uint64_t key_generation() const noexcept;

  // connection_timers.cpp.
  void handle_timeout(time_point now);
  /// Whether an idle or handshake timeout ended the connection.
  bool handle_deadlines(time_point now);
  void handle_recovery_timeout(time_point now);
  /// A handshake probe carries the crypto data still unacknowledged.
  void requeue_crypto_in_flight();

  // connection_app.cpp: the application's data API.
  /// A stream's state changed: its control frames and scheduling are due.
  void update_stream(std::uint64_t id);
  /// Per-stream send buffer cap for the current congestion window.
  std::size_t send_buffer_limit() const noexcept;

  // connection_qlog.cpp: the hooks, each called only when qlog_.observer is set.
  void open_qlog(time_point now);
  /// Decodes `plaintext` (a packet's payload, before sealing or after
  /// opening) into the frame list the next qlog_packet reports.
  void qlog_frames(wire::packet_type type, std::span<const std::byte> plaintext);
  void qlog_packet(bool sent, wire::packet_type type, std::uint64_t number, std::size_t bytes,
                   time_point now);
  void qlog_losses(std::span<const recovery::sent_packet> lost, bool by_timer, time_point now);
  /// Reports the state, metrics and keys after a call into the connection.
  void qlog_sync(time_point now);
  void qlog_keys(time_point now);

  // connection_retry.cpp: the client's side of a Retry.
  void on_retry(std::span<const std::byte> packet, const wire::decoded_header& layout);
  // connection_new_token.cpp: a NEW_TOKEN frame received.
  std::error_code on_new_token(const wire::new_token_frame& f);

  // connection_recv.cpp: datagrams and packets.
  /// Processes the packet at the start of `rest`.
  packet_done process_packet(std::span<std::byte> rest, datagram_context& d, time_point now);
  /// Checks the Destination Connection ID, removes header and packet
  /// protection and checks what authentication covers.
  opened_packet open_packet(std::span<std::byte> packet, const wire::decoded_header& layout, const address& from,
                            time_point now);
  /// Keys for this packet type exist; a 1-RTT packet before them is kept.
  bool has_keys_for(wire::packet_type type, std::span<const std::byte> packet, const address& from);
  /// Bookkeeping for an authenticated packet: counters, the idle timer,
  /// the path's received bytes, the server's address validation.
  void note_authenticated(const wire::decoded_header& layout, const opened_packet& p, datagram_context& d,
                          time_point now);
  /// A peer address change on a non-probing packet that is the newest so far.
  void check_migration(wire::packet_type type, bool probing_only, std::uint64_t number, const datagram_context& d,
                       time_point now);
  void replay_early_datagrams(time_point now);
  void start_path_validation(const address& to, time_point now);

  // connection_frames_in.cpp: frames received.
  /// What a packet's frames amounted to.
  struct frames_outcome {
    std::error_code error;
    std::uint64_t bad_frame = 0; ///< the type of the frame that failed
    bool ack_eliciting = false;
    bool probing_only = true;
    bool carried_message = false; ///< some deadline-message fragment
  };
  frames_outcome process_frames(std::span<const std::byte> payload, wire::packet_type type, const address& from,
                                time_point now);
  /// A frame broke a rule: close with its transport error (connection_recv.cpp).
  void close_for_frame_error(const frames_outcome& frames, time_point now);
  std::error_code on_frame(const wire::frame& fr, const address& from, time_point now);
  std::error_code on_stream_frame(const wire::frame& fr);
  /// The stream a peer's frame is about, noted as opened by the peer when it
  /// is new; null when it is gone or `ec` says the frame breaks a rule.
  stream::stream* stream_for_frame(std::uint64_t id, stream::frame_target target, std::error_code& ec);
  std::error_code on_reset_stream(const wire::reset_stream_frame& f);
  /// STOP_SENDING or MAX_STREAM_DATA: about this side's sending on stream `id`.
  std::error_code on_send_side_frame(std::uint64_t id, const wire::frame& fr);
  std::error_code on_stream_data_blocked(const wire::stream_data_blocked_frame& f);
  void on_connection_id_frame(const wire::frame& fr, time_point now);
  void on_path_frame(const wire::frame& fr, const address& from);
  std::error_code on_handshake_done(time_point now);
  std::error_code on_datagram_frame(const wire::datagram_frame& f, time_point now);
  std::error_code on_message_abandon(const wire::message_abandon_frame& f);
  void note_message_event();
  std::error_code on_ack(const wire::ack_frame& f, time_point now);
  std::error_code on_crypto(const wire::crypto_frame& f, time_point now);
  std::error_code on_stream(const wire::stream_frame& f);
  void on_acked_frames(std::uint64_t cookie);
  void on_lost_frames(std::uint64_t cookie);
  void handle_losses(std::span<const recovery::sent_packet> lost, bool by_timer, time_point now);
  /// Emits target_rate_changed when the sender's target rate moved enough.
  void report_target_rate();
  void on_peer_close(const wire::connection_close_frame& f, time_point now);
  void note_peer_stream(std::uint64_t id);
  void mark_readable(std::uint64_t id);
  void mark_writable(std::uint64_t id);

  // connection_fec.cpp: forward error correction hooks (docs/fec.md).
  /// Bytes to leave free in the 1-RTT packet being planned so its message
  /// data can be protected.
  std::size_t fec_source_reserve(time_point now);
  /// What the message flows in `flows` (bit i: flow i) ask of repair: each
  /// flow's own choice, or the connection's default.
  fec::protection fec_protection_of(std::uint32_t flows) const noexcept;
  /// A 1-RTT packet's plaintext, just built, for the open repair block.
  void on_fec_packet_built(std::uint64_t number, std::span<const std::byte> payload, const packet_request& request,
                           const frame_tally& frames, time_point now);
  /// A packet that is one REPAIR frame (and an ACK if it fits).
  packet_body write_repair_packet_body(std::span<std::byte> body, time_point now);
  /// Whether queued repair goes before this packet's data: not while a
  /// message of a more urgent class than the data it protects waits
  /// (audio is not held behind video's repair; docs/fec.md).
  bool repair_goes_first(time_point now);
  /// Appends a REPAIR_REPORT into `room` when one is due; bytes written.
  std::size_t write_repair_report(std::span<std::byte> room, time_point now);
  /// Processes the packets repair rebuilt, like received ones.
  void process_recovered_packets(const datagram_context& d, time_point now);
  /// A lost packet that repair may still rebuild: its frames wait
  /// (fec_deferred_losses); whether it was deferred.
  bool defer_fec_loss(const recovery::sent_packet& p, time_point now);
  /// After an ACK or a timeout: releases rebuilt packets' frames (`spurious`
  /// losses now acknowledged) and retransmits those repair did not rebuild.
  void settle_fec_losses(std::span<const recovery::sent_packet> spurious, time_point now);

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

  // connection_ecn.cpp: ECN marking.
  /// Whether the datagram being built goes out ECT(0).
  bool ecn_marks_now() const noexcept;

  // connection_send.cpp: datagrams and packets.
  std::optional<transmit> build_response_alone(std::span<std::byte> out, time_point now);
  std::optional<transmit> build_datagram(std::span<std::byte> out, time_point now);
  /// Budget and congestion-control decision for the next datagram; nothing
  /// when none goes now.
  std::optional<datagram_plan> plan_datagram(std::size_t room, time_point now);
  /// Deadline start-up (deadline_startup.hpp): whether a packet of `bytes`
  /// that `perm` holds back may carry deadline messages anyway.
  std::optional<recovery::send_permission> message_startup_permission(const recovery::send_permission& perm,
                                                                     std::uint64_t bytes, time_point now) const;
  /// The 1-RTT packet of a datagram, at `offset` into it.
  packet_result build_short_packet(std::span<std::byte> out, const datagram_plan& plan, std::size_t offset,
                                   time_point now);
  /// Bookkeeping once a datagram is built: counters, timers, tail probes.
  std::optional<transmit> finish_datagram(const datagram_built& d, bool allow_data, time_point now);
  std::optional<transmit> build_close(std::span<std::byte> out, time_point now);
  wire::packet_header packet_header_for(wire::packet_type type, std::uint64_t number) const;
  packet_result build_packet(std::span<std::byte> out, const packet_request& request, time_point now);
  /// The frames, the ACK, and padding, into `body` (the room after the
  /// header less the AEAD tag); `overhead` is header plus tag.
  packet_body write_packet_body(std::span<std::byte> body, const packet_request& request, std::size_t overhead,
                                time_point now);
  /// Writes an ACK into `room` if one is ready and fits.
  ack_written write_ack(std::span<std::byte> room, time_point now);
  /// Seals the packet in `out` (header_len + payload + tag) and records it as sent.
  std::size_t seal_packet(std::span<std::byte> out, const wire::packet_header& h, std::size_t header_len,
                          const packet_body& body, std::uint64_t cookie, time_point now);
  void maybe_start_key_update();
  bool wants_long_header() const noexcept;
  bool has_ack_eliciting_to_send(time_point now);
  /// Client: when to probe a handshake that has nothing in flight.
  void update_handshake_probe(time_point now);
  std::size_t amplification_budget() const noexcept { return path_.amplification_budget(); }

  // connection_frames_out.cpp: what goes into a packet, in order.
  void write_frames(wire::writer& w, const packet_request& request, time_point now, frame_tally& t);
  void record(const sent_frame& f, frame_tally& t);
  void write_path_frames(wire::writer& w, frame_tally& t);
  void write_handshake_frames(wire::writer& w, frame_tally& t);
  void write_crypto_frames(wire::writer& w, frame_tally& t);
  void write_flow_control_frames(wire::writer& w, time_point now, frame_tally& t);
  void write_connection_id_frames(wire::writer& w, frame_tally& t);
  void write_stream_control_frames(wire::writer& w, time_point now, frame_tally& t);
  /// One stream's control frames.
  void write_stream_control(wire::writer& w, std::uint64_t id, stream::stream& s, time_point now,
                            frame_tally& t);
  /// `early_only`: a 0-RTT packet, which carries only fragments of flows
  /// allowed early (no abandons).
  void write_message_frames(wire::writer& w, time_point now, frame_tally& t, bool early_only = false);
  void write_datagram_frames(wire::writer& w, time_point now, frame_tally& t);
  /// `early_only`: a 0-RTT packet, which carries only streams allowed early.
  void write_stream_frames(wire::writer& w, frame_tally& t, bool early_only = false);

  // --- state, in named parts ------------------------------------------------

  connection_config config_;
  crypto::tls_role role_;
  random_source& rng_;
  connection_state state_ = connection_state::handshaking;
  close_state close_;
  event_state events_;
  send_flags send_;
  handshake_state handshake_;
  token_state tokens_;
  early_data_state early_;
  activity_state activity_;

  // Keys and packet numbers: one packet number space for all packet types.
  packet_protection keys_;
  recovery::sender sender_;
  recovery::ack_tracker acks_;
  sent_frames sent_;
  /// ACK-only packets in a row; a PING goes after max_non_eliciting_in_row.
  std::uint64_t consecutive_non_eliciting_ = 0;

  // Connection IDs and the path.
  connection_ids ids_;
  wire::connection_id original_dcid_; // client's first DCID: handshake keys
  wire::connection_id local_initial_cid_;
  path_state path_;
  path_mtu_state path_mtu_;
  ecn_validation ecn_;

  // Streams, flow control, datagrams, messages.
  stream::stream_map streams_;
  stream::send_credit conn_send_credit_;
  stream::recv_window conn_recv_window_;
  stream::datagram_send_queue datagrams_out_;
  stream::datagram_recv_queue datagrams_in_;
  stream::message_flow_sender messages_out_;
  stream::message_flow_receiver messages_in_;
  message_tail_state message_tail_;
  /// Forward error correction: blocks, repair, loss reports.
  fec::connection_repair repair_;
  /// The most urgent priority class among the sources of the open block,
  /// and of the blocks whose repair is queued.
  std::uint8_t fec_open_block_priority_ = UINT8_MAX;
  std::uint8_t fec_queued_repair_priority_ = UINT8_MAX;
  fec_deferred_losses fec_deferred_;

  receive_state receive_;
  connection_counters counters_;
  target_rate_report target_rate_report_{config_.target_rate_change};
  qlog_state qlog_;

  /// Frames a test put at the start of the next 1-RTT packet
  /// (connection_test_access::inject_frames).
  std::vector<std::byte> injected_frames_;
};

} // namespace tern::core
