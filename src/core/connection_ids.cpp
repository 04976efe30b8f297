#include "core/connection_ids.hpp"

#include <algorithm>

namespace tern::core {

void connection_ids::set_initial_local(const wire::connection_id& cid) {
  local_.clear();
  local_.push_back(local_id{0, cid, {}, false});
  ++local_changes_;
}

void connection_ids::issue_local(const wire::connection_id& cid,
                                 const std::array<std::byte, wire::stateless_reset_token_length>& reset_token) {
  const std::uint64_t seq = next_local_sequence_++;
  local_.push_back(local_id{seq, cid, reset_token, false});
  new_queue_.push_back(seq);
  ++local_changes_;
}

bool connection_ids::is_local(const wire::connection_id& cid) const noexcept {
  return std::any_of(local_.begin(), local_.end(), [&](const local_id& l) { return !l.retired && l.cid == cid; });
}

std::size_t connection_ids::active_local() const noexcept {
  return static_cast<std::size_t>(std::count_if(local_.begin(), local_.end(), [](const local_id& l) { return !l.retired; }));
}

std::optional<wire::new_connection_id_frame> connection_ids::poll_new() noexcept {
  while (!new_queue_.empty()) {
    const std::uint64_t seq = new_queue_.front();
    new_queue_.pop_front();
    for (const auto& l : local_) {
      if (l.sequence != seq || l.retired) continue;
      wire::new_connection_id_frame f;
      f.sequence = seq;
      f.retire_prior_to = 0;
      f.cid = l.cid;
      f.stateless_reset_token = l.reset_token;
      return f;
    }
  }
  return std::nullopt;
}

void connection_ids::on_new_lost(std::uint64_t sequence) { new_queue_.push_back(sequence); }

bool connection_ids::on_retire(std::uint64_t sequence, wire::transport_error& error) noexcept {
  if (sequence >= next_local_sequence_) {
    error = wire::transport_error::protocol_violation;
    return false;
  }
  for (auto& l : local_) {
    if (l.sequence == sequence && !l.retired) {
      l.retired = true;
      ++local_changes_;
      return true;
    }
  }
  return false;
}

void connection_ids::set_initial_peer(const wire::connection_id& cid) { peer_current_ = peer_id{0, cid}; }

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
    retire_queue_.push_back(f.sequence); // already retired: retire it again
    return true;
  }
  if (peer_spare_.size() + 1 >= limit + 1) {
    error = wire::transport_error::connection_id_limit_error;
    return false;
  }
  peer_spare_.push_back(peer_id{f.sequence, f.cid});
  highest_peer_sequence_ = std::max(highest_peer_sequence_, f.sequence);
  if (f.retire_prior_to > peer_retire_prior_to_) {
    peer_retire_prior_to_ = f.retire_prior_to;
    std::erase_if(peer_spare_, [&](const peer_id& p) {
      if (p.sequence >= peer_retire_prior_to_) return false;
      retire_queue_.push_back(p.sequence);
      return true;
    });
    if (peer_current_.sequence < peer_retire_prior_to_) rotate_peer();
  }
  return true;
}

bool connection_ids::rotate_peer() {
  if (peer_spare_.empty()) return false;
  retire_queue_.push_back(peer_current_.sequence);
  peer_current_ = peer_spare_.front();
  peer_spare_.pop_front();
  return true;
}

std::optional<std::uint64_t> connection_ids::poll_retire() noexcept {
  if (retire_queue_.empty()) return std::nullopt;
  const std::uint64_t s = retire_queue_.front();
  retire_queue_.pop_front();
  return s;
}

} // namespace tern::core
