#pragma once

// The sans-IO endpoint (docs/architecture.md, "The endpoint"): everything
// between a socket and its connections that is not I/O. It routes each
// received datagram by Destination Connection ID, decides whether a new
// Initial may create a connection (size, limits, address validation), answers
// the ones that must first prove their address with a Retry, gives validated
// clients NEW_TOKEN tokens, and keeps one timer queue over all connections.
// Every driver runs this same code: the Asio endpoint, the public
// bring-your-own-I/O API, the simulator's node and the unit-test harness.
//
//   on_datagram(bytes, from, now)    -> delivered | accepted (a new connection) | answered | dropped
//   poll_transmit(out)               -> the next stateless answer (a Retry), or nothing
//   connect(peer, tls, now)          -> a new client connection
//   next_timeout() / on_timeout(now) -> the due connections ran their timers
//   update(handle, now)              after the driver called into a connection
//   remove(handle)                   before the driver destroys a connection
//
// Ownership: the driver owns every connection (it holds the unique_ptr the
// endpoint hands out) and the endpoint keeps a pointer, so a driver can keep
// a closed connection for its application to inspect. A driver calls
// remove() before it destroys one.
//
// Like the connection it never reads a clock, touches a socket or uses a
// global random source: `now` comes in, datagrams go out, randomness comes
// from the injected random_source.

#include "core/address.hpp"
#include "core/address_validation.hpp"
#include "core/connection.hpp"
#include "core/endpoint_timers.hpp"
#include "core/half_open_budget.hpp"
#include "wire/connection_id.hpp"

#include <tern/config.hpp>
#include <tern/random.hpp>
#include <tern/time.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <system_error>
#include <unordered_map>
#include <vector>

namespace tern::core {

inline constexpr connection_handle no_connection = 0;

struct endpoint_config {
  /// Every connection's configuration, client and server.
  connection_config connection;
  /// The server's TLS context; null: the endpoint never accepts.
  std::shared_ptr<const crypto::tls_context> server_tls;
  /// Connections at once, client and server; an Initial beyond it is
  /// dropped and connect() fails with too_many_connections.
  std::size_t max_connections = 10000;
  /// Handshakes in progress (server connections not yet established) at
  /// once; an Initial that would start one more is dropped, unless its
  /// address was validated and a source holds at least two more handshakes
  /// than its own: then that source's oldest handshake is dropped for it.
  std::size_t max_half_open = 256;
  /// From this many handshakes in progress on, an Initial without a valid
  /// token is answered with a Retry first, as require_address_validation
  /// would: a flood from spoofed sources then creates no state, and a real
  /// client pays one round trip. 0: never (unless required).
  std::size_t retry_above_half_open = 100;
  /// Handshakes in progress from one IP address before its next Initial
  /// needs a token: beyond it a token-less Initial is answered with a Retry
  /// (a spoofed flood from "one host" holds at most this much; a real host
  /// with many connections at once pays one round trip).
  std::size_t max_half_open_per_source = 16;
  /// A handshake in progress whose client has not answered the server's
  /// first flight (no Handshake packet from it authenticated) within
  /// handshake_answer_ptos probe timeouts of the RTT measured so far,
  /// clamped to [min_handshake_answer, max_handshake_answer], is dropped
  /// then, not at handshake_timeout, while at least retry_above_half_open
  /// handshakes are in progress (under load; a slow client costs nobody a
  /// place otherwise): a real client answers within one RTT
  /// (three PTOs leave room for a lost flight and its retransmission),
  /// and places held by hosts that never do turn over. 0: never.
  std::size_t handshake_answer_ptos = 3;
  duration min_handshake_answer = std::chrono::milliseconds(250);
  duration max_handshake_answer = std::chrono::seconds(3);
  /// A source (IP address) whose handshake was dropped that way is, for
  /// this long, admitted only while fewer than max_half_open / 2
  /// handshakes are in progress: hosts that take places and never answer
  /// cannot keep them all turning over among themselves.
  duration unanswered_penalty = std::chrono::seconds(30);
  /// Established server connections the application has not claimed yet
  /// (waiting for accept); an Initial beyond it is dropped. Handshaking
  /// connections are bounded by max_connections.
  std::size_t accept_backlog = 1024;
  /// A new client must prove its address first: an Initial without a valid
  /// token is answered with a Retry and creates no state (docs/protocol.md §9.4).
  bool require_address_validation = false;
  /// How long a Retry token is accepted after its Retry was sent.
  duration retry_token_lifetime = std::chrono::seconds(10);
  /// How long a NEW_TOKEN token is accepted; zero: none are given.
  duration new_token_lifetime = std::chrono::hours(24);
  /// An address validation unit to use instead of one of the endpoint's
  /// own (which require_address_validation makes): endpoints that share
  /// one accept each other's tokens (SO_REUSEPORT workers, a restarted
  /// server keeping its secret). Setting it requires validation.
  std::shared_ptr<address_validation> shared_validation;
  /// Stateless answers waiting for poll_transmit(); one more is dropped
  /// (its client resends its Initial).
  std::size_t max_pending_answers = 64;
  /// Told of each server connection whose handshake refused the client's
  /// key or lack of one (crypto fingerprint_mismatch or
  /// peer_certificate_required), once: at the update() that finds it
  /// closing, or at remove(). Must not throw.
  std::function<void(const refused_client&)> on_client_refused;
};

/// invalid_argument when `config` cannot work: a connection ID length
/// outside 8..20 for a server (clients' Initials route by an ID of ours of
/// that length, and an Initial's DCID must have at least 8 bytes), zero
/// max_connections, max_half_open or max_half_open_per_source, a negative
/// NEW_TOKEN lifetime, a server's zero Retry token lifetime, or a
/// min_handshake_answer that is not positive or above max_handshake_answer.
std::error_code check(const endpoint_config& config) noexcept;

/// What became of one received datagram.
struct datagram_outcome {
  enum class kind : std::uint8_t {
    delivered, ///< to the connection `handle`, already updated
    accepted,  ///< a new server connection, `handle`, took it: `connection` holds it
    answered,  ///< a stateless answer (a Retry) waits in poll_transmit(); no state kept
    dropped,   ///< for no connection and may not create one (counted)
  };
  kind what = kind::dropped;
  connection_handle handle = no_connection;
  /// With accepted: the new connection, for the driver to own.
  std::unique_ptr<connection> accepted;
  /// With accepted and address validation: how the Initial was admitted
  /// (after a Retry, or with a NEW_TOKEN token).
  std::optional<initial_admission> admission;
};

/// A stateless datagram poll_transmit() wrote.
struct endpoint_transmit {
  std::size_t size = 0;
  address to;
};

struct endpoint_stats {
  std::size_t connections = 0;
  std::uint64_t datagrams_received = 0;
  /// Undecodable, for no connection, or an Initial refused (too small,
  /// too many connections, a full backlog, a bad Retry token).
  std::uint64_t datagrams_dropped = 0;
  std::uint64_t retries_sent = 0;
  /// Initials that carried a Retry token that did not validate.
  std::uint64_t initials_refused = 0;
  /// Initials dropped at max_half_open.
  std::uint64_t initials_over_limit = 0;
  /// Handshakes dropped to admit a validated client from a source holding
  /// fewer (max_half_open reached).
  std::uint64_t handshakes_displaced = 0;
  /// Handshakes dropped because the client did not answer the server's
  /// first flight in time (handshake_answer_ptos).
  std::uint64_t handshakes_unanswered = 0;
  /// Validated Initials dropped because their source left a handshake
  /// unanswered recently and half of max_half_open is taken.
  std::uint64_t initials_from_unanswered = 0;
  /// Initials that looked right but did not authenticate.
  std::uint64_t initials_unauthenticated = 0;
  /// Handshakes in progress now.
  std::size_t half_open = 0;
};

class endpoint {
public:
  /// `config` must pass check(); `rng` must outlive the endpoint and every
  /// connection it makes (connection IDs, Retry source IDs and the
  /// protocol's random choices come from it).
  endpoint(const endpoint_config& config, random_source& rng);
  ~endpoint();
  endpoint(const endpoint&) = delete;
  endpoint& operator=(const endpoint&) = delete;

  /// One received UDP payload from `from`, processed in place (its bytes are
  /// unspecified afterwards). Never fails: what is not for a connection and
  /// may not create one is dropped and counted.
  datagram_outcome on_datagram(std::span<std::byte> datagram, const address& from, time_point now,
                               recovery::ecn_mark ecn = recovery::ecn_mark::not_ect);

  /// The next stateless answer (a Retry), written into `out` (1200 bytes
  /// are always enough), or nothing.
  std::optional<endpoint_transmit> poll_transmit(std::span<std::byte> out);

  /// A client connection to `peer` with the client TLS context `tls`; its
  /// first poll_transmit() writes the Initial. `address_token` is a
  /// NEW_TOKEN token from an earlier connection to that server. Errors:
  /// too_many_connections (core_errc), the connection's (connect()).
  std::unique_ptr<connection> connect(const address& peer, std::shared_ptr<const crypto::tls_context> tls,
                                      time_point now, std::error_code& ec, connection_handle& handle,
                                      std::span<const std::byte> address_token = {},
                                      const resumption_offer& resume = {});

  /// The connection behind `handle`, or null once removed.
  connection* find(connection_handle handle) const noexcept;

  /// Call after the driver called into a connection (application calls,
  /// poll_transmit, poll_event): its routes follow its connection IDs, its
  /// timer its next_timeout(), and a server connection whose handshake is
  /// confirmed gets its NEW_TOKEN token. on_datagram and on_timeout do this
  /// themselves for the connections they touch.
  void update(connection_handle handle, time_point now);

  /// The application has taken this server connection (async_accept): it
  /// does not count against accept_backlog (any more).
  void claim(connection_handle handle) noexcept;

  /// Forgets `handle`: its routes and its timer. The driver still owns the
  /// connection and may keep it. Unknown handles are ignored.
  void remove(connection_handle handle) noexcept;

  /// The earliest next_timeout() of all connections; tern::never when none.
  time_point next_timeout() const noexcept { return timers_.earliest(); }
  /// Runs on_timeout(now) on every connection due by `now` and updates it;
  /// appends their handles to `ran` so the driver can drain them.
  void on_timeout(time_point now, std::vector<connection_handle>& ran);

  /// Every live connection's handle, in no particular order.
  std::vector<connection_handle> handles() const;
  endpoint_stats stats() const noexcept;
  const endpoint_config& config() const noexcept { return config_; }
  /// The address validation unit (tests rotate its secrets, tools read
  /// its lifetimes); null on an endpoint that does not accept.
  address_validation* validation() noexcept { return validation_.get(); }

private:
  // Test-only seam, defined in tests/support/endpoint_test_access.hpp.
  friend struct endpoint_test_access;

  struct entry {
    connection* conn = nullptr;
    /// The connection's local_connection_ids() routed here (so bounded like
    /// them): one that leaves that list was retired and is unrouted.
    std::vector<wire::connection_id> routes;
    /// Server: the client's first Destination Connection ID, routed until
    /// remove() for the client's retransmitted Initials.
    std::optional<wire::connection_id> original_route;
    std::uint64_t routes_synced = ~std::uint64_t{0}; ///< local_connection_id_changes() they follow
    endpoint_timers::slot timer;
    bool server = false;
    bool claimed = false;       ///< server: taken by the application
    bool waiting = false;       ///< server: established, not yet claimed
    bool half_open = false;     ///< server: handshaking, counted in half_open_
    address source;             ///< where its first Initial came from
    time_point half_open_since; ///< server: when its first Initial was accepted
    bool token_offered = false; ///< server: its NEW_TOKEN token was queued
    bool refusal_reported = false; ///< server: on_client_refused was told
  };
  struct answer {
    std::vector<std::byte> bytes;
    address to;
  };
  struct cid_hash {
    std::size_t operator()(const wire::connection_id& cid) const noexcept;
  };

  void report_refused_client(entry& e) const noexcept;
  datagram_outcome deliver(connection_handle handle, std::span<std::byte> datagram, const address& from,
                           time_point now, recovery::ecn_mark ecn);
  /// An Initial for no connection: may it create one? (size, limits, token)
  datagram_outcome admit(const wire::decoded_header& h, std::span<std::byte> datagram, const address& from,
                         time_point now, recovery::ecn_mark ecn);
  /// Queues the Retry answering `h` from `from`; dropped when the queue is full.
  datagram_outcome answer_with_retry(const wire::decoded_header& h, const address& from, time_point now);
  connection_handle add(connection& c, bool server);
  void unroute(connection_handle handle, const wire::connection_id& cid) noexcept;
  void sync_routes(connection_handle handle, entry& e);
  void offer_new_token(entry& e, time_point now);
  datagram_outcome dropped() noexcept;
  /// How an Initial's token admits it: accept (with the original DCID for
  /// a Retry token), a Retry to send, or a drop.
  /// nullopt: admitted without a token, its address unvalidated.
  std::optional<initial_admission> sort_by_token(const wire::decoded_header& h, const address& from, time_point now,
                                                 wire::connection_id& original_dcid);
  /// The connection stops counting as a handshake in progress.
  void end_half_open(connection_handle handle, entry& e) noexcept;
  /// Drops the handshake `handle` to make room (half_open_budget::displaceable).
  void displace(connection_handle handle, time_point now);
  /// When a handshake in progress whose client has not answered yet is
  /// dropped (handshake_answer_ptos); never once answered or not half-open.
  time_point answer_deadline(const entry& e) const noexcept;
  /// The connection's next_timeout(), or its answer deadline if sooner.
  time_point timer_for(const entry& e) const noexcept;

  endpoint_config config_;
  random_source& rng_;
  std::shared_ptr<address_validation> validation_; ///< every accepting endpoint has one
  /// Every Initial needs a token (require_address_validation or a shared
  /// unit); otherwise only above retry_above_half_open.
  bool validate_always_ = false;
  half_open_budget half_open_;
  std::vector<std::byte> initial_scratch_; ///< initial_authenticates' copy

  std::unordered_map<connection_handle, entry> connections_;
  std::unordered_map<wire::connection_id, connection_handle, cid_hash> routes_;
  endpoint_timers timers_;
  connection_handle next_handle_ = 1;
  std::size_t waiting_ = 0; ///< established server connections not yet claimed
  std::deque<answer> answers_;
  endpoint_stats stats_;
};

} // namespace tern::core
