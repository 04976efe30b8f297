#pragma once

#include "stun/address.hpp"
#include "stun/answer_limiter.hpp"
#include "stun/binding_responder.hpp"
#include "stun/binding_transaction.hpp"
#include "stun/keepalive_scheduler.hpp"
#include "stun/mapped_address_monitor.hpp"

#include <tern/random.hpp>
#include <tern/time.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace tern::stun {

struct nat_agent_options {
  /// Retransmission schedule (RTO, Rc, Rm) and attributes of every Binding
  /// request: discoveries and the re-queries that keep a mapping alive.
  binding_options binding;
  /// When keepalives are due on an idle mapping or peer.
  keepalive_options keepalive;
  /// Send keepalives at all.
  bool keepalive_enabled = true;
  /// Answer Binding requests that arrive on the socket (the Asio endpoint
  /// turns this on for endpoints that accept connections, by default).
  bool answer_requests = true;
  /// How fast answers may go out, whoever asks.
  answer_limit answer_rate;
  responder_options responder;
  /// Draws a fresh random transaction ID; false on failure. Unset: OpenSSL's
  /// RAND_bytes (random_transaction_id()). Tests inject a seeded one.
  std::function<bool(transaction_id&)> new_transaction_id;
};

/// Orders transport addresses so they can key a std::map.
struct transport_address_less {
  bool operator()(const transport_address& a, const transport_address& b) const noexcept;
};

/// Everything STUN does on one endpoint's socket, sans-IO: the driver hands
/// it every STUN datagram received (is_stun()), tells it about every
/// datagram tern sent, sends what poll_transmit() returns and calls
/// on_timeout() at next_timeout(). It
///  - runs discoveries (Binding transactions to a server) and reports each
///    result once through poll_discovery();
///  - registers every server a discovery succeeded with as a "mapping" and
///    keeps it alive: once the path to it has been idle for the keepalive
///    interval (jittered), a Binding *request* re-queries the server, so
///    the answer both refreshes the NAT binding and tells whether the
///    mapped address changed (poll_mapping_change());
///  - keeps watched peers (the endpoint's connections) alive with Binding
///    Indications when nothing else was sent to them for an interval;
///  - answers Binding requests with the sender's XOR-MAPPED-ADDRESS.
class nat_agent {
public:
  using discovery_id = std::uint64_t;

  struct discovery_result {
    discovery_id id = 0;
    transport_address server;
    /// Empty on success; else stun_errc::timeout, error_response,
    /// missing_mapped_address, unknown_comprehension_required, or a
    /// failure to draw a transaction ID (crypto_failure).
    std::error_code error;
    std::optional<transport_address> mapped;
    int error_response_code = 0;
    std::string error_reason;
  };

  struct mapping_change {
    transport_address server;
    transport_address previous;
    transport_address current;
  };

  struct transmit {
    transport_address to;
    std::span<const std::byte> bytes;
  };

  /// `rng` (the keepalive jitter) must outlive the agent.
  nat_agent(random_source& rng, nat_agent_options options);
  ~nat_agent();
  nat_agent(const nat_agent&) = delete;
  nat_agent& operator=(const nat_agent&) = delete;

  /// Starts a Binding transaction to `server`; its result comes out of
  /// poll_discovery() with the returned id.
  discovery_id discover(const transport_address& server, time_point now);
  /// Abandons a discovery; no result is reported for it. False if it is
  /// unknown or already finished.
  bool cancel(discovery_id id) noexcept;
  std::optional<discovery_result> poll_discovery();
  /// A registered mapping's address changed (NAT rebinding, or a new NAT).
  std::optional<mapping_change> poll_mapping_change();

  /// Keeps the NAT binding towards `peer` alive while nothing else goes
  /// there. Counted: each watch() needs one unwatch().
  void watch(const transport_address& peer, time_point now);
  void unwatch(const transport_address& peer) noexcept;
  /// Stops keeping `server`'s mapping alive and forgets its address.
  void forget_mapping(const transport_address& server) noexcept;

  /// Whether on_sent() has anything to update (a cheap test for the
  /// per-datagram path).
  bool tracking() const noexcept { return !peers_.empty() || !mappings_.empty(); }
  /// A datagram (tern or STUN) went out to `to`: pushes its keepalive back.
  void on_sent(const transport_address& to, time_point now) noexcept;

  /// Offers a received datagram. Returns false if it is not STUN (RFC 7983
  /// first byte), true if the agent consumed it, whatever it made of it:
  /// malformed STUN is dropped silently (RFC 8489 §6.3).
  bool on_datagram(std::span<const std::byte> datagram, const transport_address& from, time_point now);

  /// The next datagram to send, written into `out` (1500 bytes always
  /// suffice), or nullopt when nothing is due.
  std::optional<transmit> poll_transmit(std::span<std::byte> out, time_point now);
  time_point next_timeout() const noexcept;
  void on_timeout(time_point now);

  struct counters {
    std::uint64_t requests_sent = 0;     ///< Binding requests, retransmissions included
    std::uint64_t indications_sent = 0;  ///< keepalive Binding Indications
    std::uint64_t requests_answered = 0; ///< responses (success or error) to requests received
    /// Requests left unanswered because answers were over answer_rate or the
    /// queue of answers waiting for the socket was full.
    std::uint64_t requests_limited = 0;
    std::uint64_t discarded = 0;         ///< STUN datagrams dropped as invalid or unexpected
  };
  const counters& stats() const noexcept { return stats_; }
  /// The last mapped address learned from `server`, if any.
  std::optional<transport_address> mapped_address(const transport_address& server) const;

private:
  struct query {
    discovery_id id = 0;
    transport_address server;
    std::unique_ptr<binding_transaction> tx;
    bool user = false; ///< a discover() (else a keepalive re-query)
    bool id_failed = false;
  };
  struct mapping {
    keepalive_scheduler keepalive;
    mapped_address_monitor monitor;
    bool querying = false;
  };
  struct peer {
    keepalive_scheduler keepalive;
    unsigned watchers = 0;
    bool indication_due = false;
  };
  struct reply {
    transport_address to;
    std::vector<std::byte> bytes;
  };

  bool draw_id(transaction_id& id);
  query& start_query(const transport_address& server, bool user, time_point now);
  void finish(query& q, time_point now);
  keepalive_options keepalive_for_mapping() const noexcept;

  random_source& rng_;
  nat_agent_options options_;
  binding_responder responder_;
  answer_limiter answer_limiter_;
  discovery_id next_id_ = 1;
  std::vector<query> queries_;
  std::map<transport_address, mapping, transport_address_less> mappings_;
  std::map<transport_address, peer, transport_address_less> peers_;
  /// Bounded: a flood of requests must not grow memory; STUN clients retransmit.
  static constexpr std::size_t max_pending_replies = 64;
  std::deque<reply> replies_; ///< at most max_pending_replies, oldest dropped
  std::deque<transport_address> due_peers_; // indications to send, oldest first
  // next_timeout() is asked after every I/O event and the endpoint may watch
  // thousands of peers, so the earliest deadline is cached. on_sent() only
  // ever moves deadlines later, so it leaves the cache alone (an early
  // cached value costs one on_timeout() that finds nothing due); everything
  // that can move one earlier marks it stale.
  mutable time_point earliest_ = never;
  mutable bool earliest_stale_ = true;
  std::deque<discovery_result> results_;
  std::deque<mapping_change> changes_;
  counters stats_;
};

} // namespace tern::stun
