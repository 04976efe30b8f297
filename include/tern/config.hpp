#pragma once

// Every knob of a tern endpoint and the connections it carries, in one
// struct with the defaults a real-time media application wants. Durations are
// std::chrono types; sizes are bytes.

#include <tern/address.hpp>
#include <tern/fec_mode.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tern {

/// Congestion controller of each connection.
enum class congestion_controller : std::uint8_t { bbr, cubic, new_reno };

/// AEAD cipher suites for packet protection (TLS 1.3 suites).
enum class cipher : std::uint8_t { aes_128_gcm, chacha20_poly1305 };

/// Whether a server asks its clients for a certificate (mutual TLS).
enum class client_authentication : std::uint8_t {
  none,    ///< never asks; peer_fingerprint() of a server connection is ""
  request, ///< asks; a client may send none, one it sends must pass the pins
  require, ///< a client without a certificate (or off the pins) fails the handshake
};

/// A client a server's handshake refused for its key (config::on_client_refused).
struct refused_client {
  address peer;            ///< where its Initial came from
  /// The key it presented, as endpoint::fingerprint() prints it; "" when
  /// it sent no certificate.
  std::string fingerprint;
  /// fingerprint_mismatch (not pinned, or refused by client_key_check) or
  /// peer_certificate_required (none sent), category "tern.crypto".
  std::error_code reason;
};

struct config {
  // --- timers -------------------------------------------------------------

  /// A connection closes silently after this long without receiving anything
  /// (never less than 3 probe timeouts in effect).
  std::chrono::nanoseconds idle_timeout = std::chrono::seconds(30);
  /// A PING goes out after this long without sending anything the peer must
  /// acknowledge, keeping NAT bindings and the idle timer alive; zero
  /// disables keepalives.
  std::chrono::nanoseconds keepalive_interval = std::chrono::seconds(10);
  /// A connection whose handshake has not completed after this long fails
  /// with core_errc::handshake_timeout.
  std::chrono::nanoseconds handshake_timeout = std::chrono::seconds(10);

  // --- congestion and path ------------------------------------------------

  congestion_controller congestion = congestion_controller::bbr;
  /// Spread packets over the round trip at the controller's pacing rate.
  bool pacing = true;
  /// UDP payload bytes every connection starts with (and the floor DPLPMTUD
  /// never goes below): 1200, the minimum the protocol requires every path
  /// to carry.
  std::size_t initial_datagram_size = 1200;
  /// Largest UDP payload a connection may grow to once the path has proven it
  /// (DPLPMTUD, RFC 8899): 1452 fits a 1500-byte Ethernet MTU under IPv6 and
  /// IPv4. Packets are never larger than what the path has proven.
  std::size_t max_datagram_size = 1452;

  // --- security -----------------------------------------------------------

  /// Cipher suites in preference order (the server's order decides).
  std::vector<cipher> ciphers{cipher::aes_128_gcm, cipher::chacha20_poly1305};
  /// ALPN protocols: offered by a client in preference order, accepted by a
  /// server. When both sides list some, one must match.
  std::vector<std::string> alpn{"tern/1"};
  /// This endpoint's certificate chain (PEM, leaf first) and private key
  /// (PEM, unencrypted), in memory or as files. Required to accept
  /// connections unless generate_certificate is set; optional on a client
  /// (sent only when a server asks for one, see client_auth).
  std::string certificate_chain_pem;
  std::string private_key_pem;
  std::string certificate_chain_file;
  std::string private_key_file;
  /// An endpoint with no certificate configured generates a self-signed one
  /// (ECDSA P-256) at open; endpoint::fingerprint() tells peers what to pin.
  /// A client sends it only when a server asks (client_auth): a fresh key
  /// per endpoint, so it tells a server's application the endpoint's
  /// connections apart but is worth pinning only if the endpoint lives on.
  /// Off on a client: it has no certificate and sends none when asked.
  bool generate_certificate = true;
  /// How a client authenticates servers: pinned SPKI SHA-256 fingerprints
  /// ("sha256/<base64>" or hex, as endpoint::fingerprint() prints them), or
  /// trust anchors with server_name checked against the certificate. Either
  /// may be overridden per connection with connect_options.
  std::vector<std::string> pinned_fingerprints;
  std::string ca_file;
  std::string ca_pem;
  std::string server_name;
  /// Server: whether clients must prove a key (mutual TLS). A client's key
  /// is checked against pinned_client_fingerprints in the handshake, so a
  /// refused client never becomes a connection; it fails async_connect with
  /// peer_rejected_certificate (or peer_requires_certificate when it sent
  /// none), category "tern.crypto". With an empty list, any key the client
  /// proves possession of is accepted and the application must judge
  /// connection::peer_fingerprint() itself (as ssh judges authorized_keys).
  client_authentication client_auth = client_authentication::none;
  /// Client SPKI fingerprints a server accepts (the syntax of
  /// pinned_fingerprints, as the client's endpoint::fingerprint() prints
  /// them). Non-empty with client_auth none is invalid_argument (a list that
  /// would silently check nothing); a malformed entry fails the endpoint's
  /// open with the TLS layer's invalid_configuration.
  std::vector<std::string> pinned_client_fingerprints;
  /// Server: decides in the handshake which client keys may connect, in
  /// place of pinned_client_fingerprints (setting both, or this with
  /// client_auth none, is invalid_argument). Called with the fingerprint
  /// of each client certificate presented (as endpoint::fingerprint()
  /// prints it), on the endpoint's executor, inside the handshake: false
  /// refuses the client as an unlisted pin would. Each new handshake asks
  /// again, so the application may change who is let in while serving (a
  /// re-read authorized-keys file); connections already accepted stay.
  /// Must return quickly, must not call into the endpoint; an exception
  /// refuses the key.
  std::function<bool(std::string_view fingerprint)> client_key_check;
  /// Server: told of each client its handshake refused for the client's
  /// key or lack of one (see refused_client), when the refused handshake's
  /// state is dropped, on the endpoint's executor. For logs and counters:
  /// a flood of refused handshakes calls it once per handshake (each
  /// bounded by the admission limits), so it should be cheap and must not
  /// throw.
  std::function<void(const refused_client&)> on_client_refused;

  // --- flow control and buffers -------------------------------------------

  /// Receive windows granted as soon as the peer can use them, per stream
  /// and per connection: what a sender may have in flight from its second
  /// round trip (the defaults cover 100 Mbit/s at 200 ms with loss), and
  /// what a peer can make an application that stops reading buffer.
  std::uint64_t initial_stream_window = 4 * 1024 * 1024;
  std::uint64_t initial_connection_window = 6 * 1024 * 1024;
  /// Upper bounds of the receive windows' auto-tuning, which grows them
  /// only while the application keeps up: memory per stream and per
  /// connection never exceeds these.
  std::uint64_t max_stream_window = 16 * 1024 * 1024;
  std::uint64_t max_connection_window = 24 * 1024 * 1024;
  /// Bytes written to one stream and not yet acknowledged before a write
  /// waits.
  std::size_t stream_send_buffer = 1024 * 1024;
  /// The send buffer grows past stream_send_buffer to twice the congestion
  /// window (what a long fat path keeps in flight), up to this bound.
  std::size_t max_stream_send_buffer = 16 * 1024 * 1024;

  // --- deadline messages ----------------------------------------------------

  /// Ack-eliciting packets sent right after a message's last fragment, so a
  /// lost tail is detected one round trip after sending; zero disables.
  std::size_t message_tail_probes = 3;
  /// Bytes by which packets carrying only deadline messages may exceed the
  /// congestion window, so the first frames need not wait for the window to
  /// grow; zero disables.
  std::size_t message_cwnd_allowance = 48 * 1200;
  /// Deadline start-up (docs/streams.md): until the connection's first loss,
  /// packets carrying only deadline messages may exceed the congestion
  /// window by this many bytes more, while the controller is in start-up;
  /// zero disables.
  std::size_t message_lossless_allowance = 20 * 1200;
  /// Deadline start-up: until the first loss, the first window of deadline
  /// messages leaves as one burst instead of paced over the handshake's
  /// round trip.
  bool message_first_window_burst = true;
  /// Forward error correction of deadline messages (docs/fec.md): REPAIR
  /// packets right behind each message's packets let the peer rebuild a
  /// lost one without waiting a round trip. Adaptive spends nothing on a
  /// clean path and follows the loss rate, burst length and deadline slack
  /// otherwise, up to fec_max_ratio repair packets per message packet;
  /// fixed always sends fec_fixed_ratio (0 < ratio <= 1). Off also ignores
  /// the peer's repair.
  fec_mode fec = fec_mode::adaptive;
  double fec_fixed_ratio = 0.25;
  double fec_max_ratio = 0.5;

  // --- media rate -----------------------------------------------------------

  /// connection::async_wait_target_rate completes (and the sans-IO API
  /// reports event::kind::target_rate_changed) when the target rate moved by
  /// more than this fraction of the value last reported. In (0, 1];
  /// invalid_argument otherwise.
  double target_rate_change = 0.1;
  /// Share of the path the target rate leaves free for retransmissions and
  /// repair (forward error correction), at the least: the measured loss
  /// rate is added to it. In [0, 0.5); invalid_argument otherwise.
  double target_rate_headroom = 0.05;
  /// Real-time media: queueing delay counts as a congestion signal. While
  /// the smoothed RTT stands well above the minimum (20 ms plus a quarter
  /// of the minimum RTT), the congestion window is capped near what the
  /// path delivers per minimum RTT, so the bottleneck's queue stays short
  /// and data the window holds back waits in the sender, where deadline
  /// messages can still be dropped at their deadline. Costs bulk
  /// throughput on paths with deep jitter (docs/congestion.md).
  bool real_time = false;

  // --- endpoint -----------------------------------------------------------

  /// Accept incoming connections (a server, or a peer that is both).
  bool accept_connections = false;
  /// Handshaked connections waiting for async_accept; Initial packets that
  /// would start more are dropped (the client retries).
  std::size_t accept_backlog = 1024;
  /// Answer every Initial without a valid address-validation token with a
  /// stateless Retry (docs/protocol.md §9.4): no state is created until the
  /// client proves it receives at its source address, which then counts as
  /// validated (no 3x amplification limit). Costs one round trip.
  bool require_address_validation = false;
  /// How long a Retry token stays valid; must be positive when
  /// require_address_validation is on (invalid_argument otherwise).
  std::chrono::nanoseconds address_token_lifetime = std::chrono::seconds(10);
  /// With require_address_validation: once a client's handshake is
  /// confirmed, the server sends it a NEW_TOKEN token valid this long for
  /// its IP address (any port); a later connection that presents it
  /// (connect_options::address_token) is admitted without a Retry, its
  /// address validated. Zero sends none; negative is invalid_argument.
  std::chrono::nanoseconds new_token_lifetime = std::chrono::hours(24);
  /// Connections this endpoint carries at once, both directions.
  std::size_t max_connections = 10000;
  /// Handshakes in progress at once (server connections not yet
  /// established); an Initial that would start one more is dropped, unless
  /// its client proved its address (a Retry answered, a NEW_TOKEN token)
  /// and some IP address holds at least two more handshakes than the
  /// client's: then that address's oldest handshake gives way. So hosts
  /// that answer Retries share the handshakes fairly and cannot lock a
  /// newcomer out.
  std::size_t max_half_open = 256;
  /// From this many handshakes in progress on, a new client must first
  /// prove its address with a Retry (one round trip more), as with
  /// require_address_validation: a flood of Initials from spoofed sources
  /// then holds no state. 0: only with require_address_validation.
  std::size_t retry_above_half_open = 100;
  /// Handshakes in progress from one IP address before its next new client
  /// must prove its address with a Retry: a spoofed flood from one address
  /// holds no more; a real host with many connections at once pays one
  /// round trip.
  std::size_t max_half_open_per_source = 16;
  /// Under load (from retry_above_half_open handshakes in progress), a
  /// handshake whose client has not answered the server's first flight (no
  /// Handshake packet from it) within handshake_answer_ptos probe timeouts
  /// of the RTT measured so far, clamped to [min_handshake_answer,
  /// max_handshake_answer], is dropped then rather than at
  /// handshake_timeout (endpoint_info::handshakes_unanswered): places held
  /// by hosts that never answer turn over. 0: never. Below the load a slow
  /// client costs nobody a place and waits as long as it needs.
  std::size_t handshake_answer_ptos = 3;
  /// Must be positive and at most max_handshake_answer (invalid_argument).
  std::chrono::nanoseconds min_handshake_answer = std::chrono::milliseconds(250);
  std::chrono::nanoseconds max_handshake_answer = std::chrono::seconds(3);
  /// An IP address whose handshake was dropped unanswered is, for this
  /// long, admitted only while fewer than max_half_open / 2 handshakes are
  /// in progress (endpoint_info::initials_from_unanswered counts its
  /// Initials dropped): hosts that take places and never answer cannot keep
  /// them all turning over among themselves. Negative is invalid_argument.
  std::chrono::nanoseconds unanswered_penalty = std::chrono::seconds(30);
  /// SO_RCVBUF / SO_SNDBUF requested: large, for high bandwidth-delay
  /// products (the kernel may cap them; see endpoint::socket_info()).
  std::size_t socket_receive_buffer = 8 * 1024 * 1024;
  std::size_t socket_send_buffer = 8 * 1024 * 1024;
  /// SO_REUSEPORT, for one endpoint per thread on one port.
  bool reuse_port = false;
  /// Datagrams per recvmmsg / sendmmsg call.
  std::size_t io_batch = 64;
  /// Send runs of equal-size datagrams as one UDP_SEGMENT buffer when the
  /// kernel accepts it (falls back to sendmmsg by itself otherwise).
  bool gso = true;
  /// Let the kernel hand over runs of datagrams from one sender as one
  /// buffer (UDP_GRO): far fewer per-datagram kernel costs on receive, for
  /// io_batch / 8 (at least 4) receive buffers of 64 KiB each.
  bool gro = true;
  /// ECN where the platform allows: mark 1-RTT packets ECT(0), count the
  /// codepoints received and report them in ACKs, and let the congestion
  /// controller react to CE marks. Marking stops on a connection whose peer's
  /// ACKs show the marks do not survive the path.
  bool ecn = true;

  // --- NAT traversal (STUN on the endpoint's socket, docs/nat.md) ----------

  /// endpoint::async_discover's Binding requests (RFC 8489 §6.2.1): the first
  /// retransmission timeout, doubled after each request; Rc, the requests
  /// sent in total (at least 1); Rm, the final wait after the last request
  /// in multiples of the initial timeout. The defaults give up after 39.5 s.
  std::chrono::nanoseconds stun_initial_rto = std::chrono::milliseconds(500);
  unsigned stun_max_requests = 7;
  unsigned stun_last_wait_factor = 16;
  /// NAT keepalive: a path (a connection's peer, or a STUN server a
  /// discovery succeeded with) that carried nothing outbound for this long
  /// gets a STUN Binding Indication (a Binding request to a STUN server, so
  /// that mapped-address changes are noticed). Clamped to 15-30 s; each wait
  /// is drawn from interval ± jitter (the jitter clamped to stay within
  /// 15-30 s). Zero disables NAT keepalives.
  std::chrono::nanoseconds nat_keepalive_interval = std::chrono::seconds(25);
  std::chrono::nanoseconds nat_keepalive_jitter = std::chrono::seconds(5);
  /// Answer STUN Binding requests arriving on the socket with the sender's
  /// reflexive address (XOR-MAPPED-ADDRESS), so peers learn theirs. A
  /// 20-byte request gets a 48-56-byte answer sent to whatever source it
  /// claims, so by default only endpoints that accept connections answer
  /// (docs/nat.md, docs/security.md).
  enum class stun_answers {
    when_accepting, ///< on exactly when accept_connections is set
    always,         ///< also on a connecting-only endpoint (a peer others discover)
    off,            ///< never answered (not `never`: that is tern::never, a time point)
  };
  stun_answers answer_stun_requests = stun_answers::when_accepting;
  /// Where answering is on, answers per second (sustained) and back to back
  /// (burst) for the whole endpoint, whoever asks; requests beyond are
  /// dropped unanswered and counted (endpoint_info::stun_requests_limited).
  /// A rate of zero answers nothing.
  std::uint32_t stun_answer_rate = 50;
  std::uint32_t stun_answer_burst = 20;

  // --- observability (docs/observability.md) -------------------------------

  /// Write a qlog trace (JSON-SEQ, loadable in qvis) of every connection into
  /// this existing directory, one file per connection named
  /// <original destination connection ID>_<client|server>.sqlog. Empty: the
  /// TERN_QLOG_DIR environment variable decides; unset too, nothing is
  /// traced. Opening an endpoint with a directory that does not exist fails
  /// with errc::invalid_argument.
  std::string qlog_dir;

  // --- resumption and 0-RTT (docs/crypto.md, "Resumption") ----------------

  /// Server: issue a session ticket to every client after its handshake, and
  /// resume the handshakes that present one (no certificate signature).
  /// Client: keep the ticket a server sends (connection::session_ticket()),
  /// for connect_options::session_ticket later. A client holds its TLS
  /// session until the ticket arrives (a few KiB; for the connection's life
  /// if the server sends none).
  bool session_tickets = false;
  /// Server: how long a ticket resumes (1 s to 7 days).
  std::chrono::seconds session_ticket_lifetime = std::chrono::hours(2);
  /// Server: the 80-byte ticket key (name, AES key, HMAC key), shared by
  /// servers that should resume each other's clients or outlive a restart.
  /// Empty: a random key per endpoint. Secret: never log it.
  std::vector<std::byte> session_ticket_key;
  /// Server: the ticket key rotates on its own every this long (periods of
  /// Unix time, so servers and restarts agree on them): a ticket resumes in
  /// the period it was issued and the next one, older ones get a full
  /// handshake. Zero: the ticket lifetime (every ticket then lives its whole
  /// lifetime). With session_ticket_key, each period's key is derived from
  /// it (servers sharing it keep resuming each other's clients); without,
  /// each is random and erased two periods later. At most 7 days.
  std::chrono::seconds session_ticket_key_rotation{0};
  /// Server: accept early data (0-RTT) from resuming clients, each ticket
  /// once (a replayed first flight gets a full round trip instead).
  bool accept_early_data = false;
  /// Server: tickets whose early data is remembered at most (about 96 bytes
  /// each); when full, early data is refused, never accepted unchecked.
  std::size_t early_data_replay_capacity = 100000;
  /// Server with accept_early_data: deliver unreliable datagrams
  /// (connection::send_datagram) that a client sent in 0-RTT
  /// (connect_options::early_datagrams). Off (the default): they are dropped
  /// unread and counted (connection_stats::early_datagrams_refused). Early
  /// datagrams are replayable like all early data (each ticket's early data
  /// is taken once per server, but a captured flight can reach another
  /// server sharing the ticket key): enable it only for datagrams that are
  /// harmless twice.
  bool accept_early_datagrams = false;
};

/// Per-connection overrides for endpoint::async_connect. Empty fields take
/// the endpoint's config.
struct connect_options {
  std::string server_name;
  std::vector<std::string> pinned_fingerprints;
  /// Accept whatever key the server presents, with no pin and no CA, so the
  /// caller can check connection::peer_fingerprint() itself (trust on first
  /// use against its own record, or a demo). Unauthenticated until the
  /// caller checks: an active attacker can impersonate the server.
  bool accept_any_server_key = false;
  std::vector<std::string> alpn;
  /// A token an earlier connection to the same server received
  /// (connection::address_token()): sent in this connection's Initials, it
  /// spares the Retry round trip of a server with
  /// require_address_validation. A stale or foreign token costs nothing but
  /// that Retry.
  std::vector<std::byte> address_token;
  /// connection::session_ticket() of an earlier connection to the same
  /// server: the handshake resumes (no certificate is sent or checked; the
  /// server key is the one the ticket was made with, which must still be
  /// pinned). A ticket for another server name, ALPN or key is not offered;
  /// one the server refuses costs nothing: a full handshake. Holds a
  /// secret: store it like a key (file mode 0600), never log it.
  std::vector<std::byte> session_ticket;
  /// With a session_ticket: this connection may send early data (0-RTT),
  /// the gate for stream_options::allow_early. The data of streams opened
  /// with allow_early that is written before the handshake completes goes
  /// in the first flight, one one-way delay after connect; other streams
  /// wait for the handshake. Early data can be replayed by an attacker who
  /// captured the flight (tern's server accepts each ticket's early data
  /// once, but a replay can still reach another server sharing the ticket
  /// key): allow early only what is safe to process twice. Rejected early
  /// data is sent again after the handshake by itself. Asio: async_connect
  /// then completes at once, before the handshake
  /// (connection::async_wait_handshake).
  bool early_data = false;
  /// With early_data: unreliable datagrams (connection::send_datagram)
  /// written before the handshake completes go in 0-RTT packets too,
  /// instead of waiting for the handshake. Replayable like any early data,
  /// sent once, and lost if the server rejects the early data or does not
  /// take early datagrams (config::accept_early_datagrams, off by default).
  bool early_datagrams = false;
};

} // namespace tern
