#pragma once

#include "wire/connection_id.hpp"
#include "wire/frames.hpp"
#include "wire/transport_error.hpp"

#include "util/lazy_deque.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <vector>

namespace tern::core {

/// The connection IDs of one connection (docs/protocol.md §9.5): those this
/// side issued (the peer puts them in Destination Connection IDs; the
/// endpoint routes by them) and those the peer issued (this side sends to
/// them). Sequence number 0 of each side is the one its handshake packets
/// carried as Source Connection ID; more are issued with NEW_CONNECTION_ID
/// so the peer has spares to move to a new path with.
///
/// A peer controls how often IDs are retired on both sides, so every list
/// here has a bound (docs/security.md): our IDs are kept only while active,
/// the total we ever issue is capped, and the retirements we owe the peer
/// are capped.
class connection_ids {
public:
  /// Most IDs of ours one connection ever issues, sequence 0 included.
  /// RFC 9000 §5.1.1 lets an endpoint stop issuing; past this a peer that
  /// keeps retiring (2 bytes of RETIRE_CONNECTION_ID for our ~40 bytes of
  /// NEW_CONNECTION_ID) gets no replacements and the connection goes on with
  /// the IDs the peer still holds. An honest peer retires one per migration.
  static constexpr std::uint64_t local_issue_limit = 1024;
  /// Most RETIRE_CONNECTION_ID frames owed to the peer and not yet sent.
  /// RFC 9000 §5.1.2 asks to allow at least twice active_connection_id_limit
  /// and allows CONNECTION_ID_LIMIT_ERROR past the limit, which a peer
  /// flooding NEW_CONNECTION_IDs below its own Retire Prior To gets.
  static constexpr std::size_t max_pending_retires = 64;

  struct local_id {
    std::uint64_t sequence = 0;
    wire::connection_id cid;
    std::array<std::byte, wire::stateless_reset_token_length> reset_token{};
  };

  /// Our connection ID with sequence 0 (sent to the peer in the handshake).
  void set_initial_local(const wire::connection_id& cid);
  /// Whether another ID may be issued (local_issue_limit not reached).
  bool can_issue() const noexcept { return next_local_sequence_ < local_issue_limit; }
  /// Issues a further ID of ours (sequence numbers from 1) and queues its
  /// NEW_CONNECTION_ID. Precondition: can_issue().
  void issue_local(const wire::connection_id& cid,
                   const std::array<std::byte, wire::stateless_reset_token_length>& reset_token);
  /// Whether `cid` is one of ours and not retired. O(active IDs).
  bool is_local(const wire::connection_id& cid) const noexcept;
  /// Our IDs in use (retired ones are dropped at once, so the size is at
  /// most the IDs kept active). The endpoint routes by exactly these: an ID
  /// it routes that is no longer here was retired.
  const std::vector<local_id>& local_ids() const noexcept { return local_; }
  /// Changes whenever local_ids() does (an ID issued or retired): lets the
  /// endpoint skip re-reading the list after every datagram.
  std::uint64_t local_changes() const noexcept { return local_changes_; }
  /// IDs of ours in use (not retired).
  std::size_t active_local() const noexcept { return local_.size(); }
  /// IDs of ours ever issued, sequence 0 included (at most local_issue_limit).
  std::uint64_t issued_local() const noexcept { return next_local_sequence_; }

  /// Whether a NEW_CONNECTION_ID or RETIRE_CONNECTION_ID is waiting: the
  /// connection sends a packet for them rather than wait for other data (a
  /// replacement the peer has not received cannot be used, nor retired).
  bool has_frames_to_send() const noexcept { return !new_queue_.empty() || !retire_queue_.empty(); }
  /// A NEW_CONNECTION_ID to send, once (again after on_new_lost).
  std::optional<wire::new_connection_id_frame> poll_new() noexcept;
  void on_new_lost(std::uint64_t sequence);
  /// RETIRE_CONNECTION_ID from the peer. O(active IDs). Error:
  /// protocol_violation for a sequence number above any sent to the peer
  /// (RFC 9000 §19.16; one only issued is not enough, or a peer could retire
  /// IDs it guesses faster than we send them). Returns whether an ID was
  /// retired (the caller then issues a replacement if can_issue()); false
  /// without error for one already retired.
  bool on_retire(std::uint64_t sequence, wire::transport_error& error) noexcept;

  /// The peer's ID with sequence 0 (its handshake Source Connection ID).
  void set_initial_peer(const wire::connection_id& cid);
  /// NEW_CONNECTION_ID from the peer. Errors: connection_id_limit_error when
  /// more than `limit` would be active or more than max_pending_retires
  /// retirements would be owed; protocol_violation when a sequence number is
  /// reused for a different ID.
  bool on_new_connection_id(const wire::new_connection_id_frame& f, std::size_t limit,
                            wire::transport_error& error);
  /// The ID to put in Destination Connection IDs.
  const wire::connection_id& peer() const noexcept { return peer_current_.cid; }
  /// Moves to an unused peer ID (for a new path), retiring the current one.
  /// Returns false when the peer issued no spare (the current one is kept).
  bool rotate_peer();
  /// Spare peer IDs available.
  std::size_t spare_peer() const noexcept { return peer_spare_.size(); }
  /// A RETIRE_CONNECTION_ID to send, once (again after on_retire_lost).
  std::optional<std::uint64_t> poll_retire() noexcept;
  void on_retire_lost(std::uint64_t sequence) { retire_queue_.insert(sequence); }
  /// RETIRE_CONNECTION_IDs owed and not yet sent (at most
  /// max_pending_retires plus lost ones being resent).
  std::size_t pending_retires() const noexcept { return retire_queue_.size(); }

private:
  struct peer_id {
    std::uint64_t sequence = 0;
    wire::connection_id cid;
  };
  /// Queues a retirement the peer caused; false past max_pending_retires.
  bool owe_retire(std::uint64_t sequence);

  std::vector<local_id> local_; ///< active only: at most active_connection_ids (+1 while replacing)
  std::uint64_t local_changes_ = 0;
  util::lazy_deque<std::uint64_t> new_queue_; ///< sequences of active IDs, so bounded like local_
  std::uint64_t next_local_sequence_ = 1;
  std::uint64_t sent_local_end_ = 1; ///< one past the highest sequence sent to the peer

  peer_id peer_current_;
  util::lazy_deque<peer_id> peer_spare_; ///< bounded by on_new_connection_id's `limit`
  std::uint64_t peer_retire_prior_to_ = 0;
  std::uint64_t highest_peer_sequence_ = 0;
  std::set<std::uint64_t> retire_queue_; ///< a set: a repeated sequence is owed once
};

} // namespace tern::core
