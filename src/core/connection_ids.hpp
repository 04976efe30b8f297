#pragma once

#include "wire/connection_id.hpp"
#include "wire/frames.hpp"
#include "wire/transport_error.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace tern::core {

/// The connection IDs of one connection (docs/protocol.md §9.5): those this
/// side issued (the peer puts them in Destination Connection IDs; the
/// endpoint routes by them) and those the peer issued (this side sends to
/// them). Sequence number 0 of each side is the one its handshake packets
/// carried as Source Connection ID; more are issued with NEW_CONNECTION_ID
/// so the peer has spares to move to a new path with.
class connection_ids {
public:
  struct local_id {
    std::uint64_t sequence = 0;
    wire::connection_id cid;
    std::array<std::byte, wire::stateless_reset_token_length> reset_token{};
    bool retired = false;
  };

  /// Our connection ID with sequence 0.
  void set_initial_local(const wire::connection_id& cid);
  /// Issues a further ID of ours (sequence numbers from 1) and queues its
  /// NEW_CONNECTION_ID.
  void issue_local(const wire::connection_id& cid,
                   const std::array<std::byte, wire::stateless_reset_token_length>& reset_token);
  /// Whether `cid` is one of ours and not retired.
  bool is_local(const wire::connection_id& cid) const noexcept;
  /// Every ID of ours ever issued, retired ones flagged.
  const std::vector<local_id>& local_ids() const noexcept { return local_; }
  /// Changes whenever local_ids() does (an ID issued or retired): lets the
  /// endpoint skip re-reading the list after every datagram.
  std::uint64_t local_changes() const noexcept { return local_changes_; }
  /// IDs of ours in use (not retired).
  std::size_t active_local() const noexcept;

  /// A NEW_CONNECTION_ID to send, once (again after on_new_lost).
  std::optional<wire::new_connection_id_frame> poll_new() noexcept;
  void on_new_lost(std::uint64_t sequence);
  /// RETIRE_CONNECTION_ID from the peer. Error: protocol_violation for a
  /// sequence number never issued. Returns whether an ID was retired (the
  /// caller then issues a replacement).
  bool on_retire(std::uint64_t sequence, wire::transport_error& error) noexcept;

  /// The peer's ID with sequence 0 (its handshake Source Connection ID).
  void set_initial_peer(const wire::connection_id& cid);
  /// NEW_CONNECTION_ID from the peer. Errors: connection_id_limit_error when
  /// more than `limit` would be active; protocol_violation when a sequence
  /// number is reused for a different ID.
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
  void on_retire_lost(std::uint64_t sequence) { retire_queue_.push_back(sequence); }

private:
  struct peer_id {
    std::uint64_t sequence = 0;
    wire::connection_id cid;
  };
  std::vector<local_id> local_;
  std::uint64_t local_changes_ = 0;
  std::deque<std::uint64_t> new_queue_;
  std::uint64_t next_local_sequence_ = 1;

  peer_id peer_current_;
  std::deque<peer_id> peer_spare_;
  std::uint64_t peer_retire_prior_to_ = 0;
  std::uint64_t highest_peer_sequence_ = 0;
  std::deque<std::uint64_t> retire_queue_;
};

} // namespace tern::core
