#include "core/connection_ids.hpp"

#include <algorithm>

namespace tern::core {

void connection_ids::set_initial_local(const wire::connection_id& cid) {
  local_.clear();
  local_.push_back(local_id{0, cid, {}});
  ++local_changes_;
}

void connection_ids::issue_local(const wire::connection_id& cid,
                                 const std::array<std::byte, wire::stateless_reset_token_length>& reset_token) {
  const std::uint64_t seq = next_local_sequence_++;
  local_.push_back(local_id{seq, cid, reset_token});
  new_queue_.push_back(seq);
  ++local_changes_;
}

bool connection_ids::is_local(const wire::connection_id& cid) const noexcept {
  return std::any_of(local_.begin(), local_.end(), [&](const local_id& l) { return l.cid == cid; });
}

std::optional<wire::new_connection_id_frame> connection_ids::poll_new() noexcept {
  while (!new_queue_.empty()) {
    const std::uint64_t seq = new_queue_.front();
    new_queue_.pop_front();
    auto it =
        std::find_if(local_.begin(), local_.end(), [&](const local_id& l) { return l.sequence == seq; });
    if (it == local_.end()) continue; // on_retire removes it from the queue; kept as a guard
    wire::new_connection_id_frame f;
    f.sequence = seq;
    f.retire_prior_to = 0;
    f.cid = it->cid;
    f.stateless_reset_token = it->reset_token;
    sent_local_end_ = std::max(sent_local_end_, seq + 1);
    return f;
  }
  return std::nullopt;
}

void connection_ids::on_new_lost(std::uint64_t sequence) {
  // Only an ID still active is worth resending, and once: so the queue stays
  // within the active IDs however often frames are lost.
  const bool active =
      std::any_of(local_.begin(), local_.end(), [&](const local_id& l) { return l.sequence == sequence; });
  if (active && std::find(new_queue_.begin(), new_queue_.end(), sequence) == new_queue_.end())
    new_queue_.push_back(sequence);
}

bool connection_ids::on_retire(std::uint64_t sequence, wire::transport_error& error) noexcept {
  if (sequence >= sent_local_end_) {
    error = wire::transport_error::protocol_violation;
    return false;
  }
  auto it =
      std::find_if(local_.begin(), local_.end(), [&](const local_id& l) { return l.sequence == sequence; });
  if (it == local_.end()) return false; // retired before: a retransmission
  local_.erase(it);
  erase(new_queue_, sequence); // a resend queued after a loss is moot
  ++local_changes_;
  return true;
}

void connection_ids::set_initial_peer(const wire::connection_id& cid) { peer_current_ = peer_id{0, cid}; }

bool connection_ids::owe_retire(std::uint64_t sequence) {
  if (retire_queue_.size() >= max_pending_retires && !retire_queue_.contains(sequence)) return false;
  retire_queue_.insert(sequence);
  return true;
}

bool connection_ids::on_new_connection_id(const wire::new_connection_id_frame& f, std::size_t limit,
                                          wire::transport_error& error) {
  if (f.sequence == peer_current_.sequence) {
    if (!(f.cid == peer_current_.cid)) {
      error = wire::transport_error::protocol_violation;
      return false;
    }
    return true;
  }
  for (const auto& p : peer_spare_) {
    if (p.sequence == f.sequence) {
      if (!(p.cid == f.cid)) {
        error = wire::transport_error::protocol_violation;
        return false;
      }
      return true; // a retransmission
    }
  }
  if (f.sequence < peer_retire_prior_to_ || f.sequence < peer_current_.sequence) {
    // Already retired: retire it again (RFC 9000 §19.15).
    if (owe_retire(f.sequence)) return true;
    error = wire::transport_error::connection_id_limit_error;
    return false;
  }
  peer_spare_.push_back(peer_id{f.sequence, f.cid});
  highest_peer_sequence_ = std::max(highest_peer_sequence_, f.sequence);
  if (f.retire_prior_to > peer_retire_prior_to_) {
    peer_retire_prior_to_ = f.retire_prior_to;
    bool owed = true;
    erase_if(peer_spare_, [&](const peer_id& p) {
      if (p.sequence >= peer_retire_prior_to_) return false;
      owed = owe_retire(p.sequence) && owed;
      return true;
    });
    if (peer_current_.sequence < peer_retire_prior_to_) rotate_peer();
    if (!owed || retire_queue_.size() > max_pending_retires) {
      error = wire::transport_error::connection_id_limit_error;
      return false;
    }
  }
  // Counted after Retire Prior To: a peer may exceed the limit for the
  // length of a frame that retires the excess (RFC 9000 §5.1.1). Active
  // means the current ID and the spares.
  if (1 + peer_spare_.size() > limit) {
    peer_spare_.pop_back(); // the new one (nothing rotated: spares remain); keeps the bound
    error = wire::transport_error::connection_id_limit_error;
    return false;
  }
  return true;
}

bool connection_ids::rotate_peer() {
  if (peer_spare_.empty()) return false;
  retire_queue_.insert(peer_current_.sequence);
  peer_current_ = peer_spare_.front();
  peer_spare_.pop_front();
  return true;
}

std::optional<std::uint64_t> connection_ids::poll_retire() noexcept {
  if (retire_queue_.empty()) return std::nullopt;
  const std::uint64_t s = *retire_queue_.begin();
  retire_queue_.erase(retire_queue_.begin());
  return s;
}

} // namespace tern::core
