// Stream bookkeeping (RFC 9000 §2.1, §3, §4.6, §19.11).
//
// Ids: each of the four types (initiator x direction) counts its own
// indexes from 0. Our streams are opened in order by open(); a peer frame
// for a peer stream with index n opens every lower index of that type that
// is not open yet (§3.2: streams of a type are opened in order). A frame for
// a stream that was open and is gone (released) is ignored; one for our own
// stream we never opened is STREAM_STATE_ERROR, as is a frame addressing a
// half the stream does not have for us (§19.8, §19.10, §19.5, §19.13).
//
// Limits: the peer may have at most local_limit_ streams of a type, counted
// from the start of the connection. Every released peer stream makes room
// for one more; the new limit is advertised once half of
// max_concurrent_* streams have closed since the last MAX_STREAMS, so the
// peer can keep max_concurrent_* streams open without a MAX_STREAMS per
// stream.
#include "stream/stream_map.hpp"

#include "stream/stream_errc.hpp"

#include <algorithm>
#include <vector>

namespace tern::stream {

stream_map::stream_map(stream_map_config cfg) : cfg_{cfg}, ranges_budget_{cfg.max_received_ranges} {
  local_limit_[idx(direction::bidi)] = std::min(cfg_.max_concurrent_bidi, max_stream_count);
  local_limit_[idx(direction::uni)] = std::min(cfg_.max_concurrent_uni, max_stream_count);
}

std::uint64_t stream_map::initial_send_credit(stream_id id) const noexcept {
  if (dir(id) == direction::uni) return peer_.max_stream_data_uni;
  return is_local(id, cfg_.self) ? peer_.max_stream_data_bidi_remote : peer_.max_stream_data_bidi_local;
}

void stream_map::set_peer_limits(const peer_stream_limits& limits) {
  peer_ = limits;
  (void)on_max_streams(direction::bidi, std::min(limits.max_streams_bidi, max_stream_count));
  (void)on_max_streams(direction::uni, std::min(limits.max_streams_uni, max_stream_count));
  // update() may release streams, so collect first.
  std::vector<stream_id> unblocked;
  for (auto& [id, s] : streams_)
    if (s.send && s.send->on_max_stream_data(initial_send_credit(id))) unblocked.push_back(id);
  for (stream_id id : unblocked) update(id);
}

stream& stream_map::create(stream_id id) {
  auto [it, inserted] = streams_.try_emplace(id, id);
  stream& s = it->second;
  if (can_send(id, cfg_.self)) s.send.emplace(initial_send_credit(id), cfg_.send);
  if (can_receive(id, cfg_.self)) s.recv.emplace(cfg_.stream_window, recv_stream::default_max_ranges, &ranges_budget_);
  return s;
}

stream* stream_map::open(direction d, std::error_code& ec) {
  ec.clear();
  const auto i = idx(d);
  if (next_local_[i] >= peer_limit_[i]) {
    if (blocked_reported_[i] != peer_limit_[i]) blocked_pending_[i] = true;
    ec = stream_errc::streams_blocked;
    return nullptr;
  }
  const stream_id id = make_stream_id(cfg_.self, d, next_local_[i]++);
  return &create(id);
}

stream* stream_map::get_for_frame(stream_id id, frame_target target, std::error_code& ec) {
  ec.clear();
  const bool ok_side =
      target == frame_target::receive_side ? can_receive(id, cfg_.self) : can_send(id, cfg_.self);
  if (!ok_side) {
    ec = stream_errc::stream_state_error;
    return nullptr;
  }
  const auto i = idx(dir(id));
  const std::uint64_t n = index(id);
  if (is_local(id, cfg_.self)) {
    if (n >= next_local_[i]) {
      ec = stream_errc::stream_state_error;
      return nullptr;
    }
    return find(id);
  }
  if (n >= local_limit_[i]) {
    ec = stream_errc::stream_limit_error;
    return nullptr;
  }
  const role peer = cfg_.self == role::client ? role::server : role::client;
  for (; next_peer_[i] <= n; ++next_peer_[i]) {
    create(make_stream_id(peer, dir(id), next_peer_[i]));
    accept_[i].push_back(make_stream_id(peer, dir(id), next_peer_[i]));
  }
  return find(id);
}

std::optional<stream_id> stream_map::accept(direction d) {
  auto& q = accept_[idx(d)];
  while (!q.empty()) {
    const stream_id id = q.front();
    q.pop_front();
    if (streams_.contains(id)) return id;
  }
  return std::nullopt;
}

stream* stream_map::find(stream_id id) noexcept {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : &it->second;
}

std::error_code stream_map::on_max_streams(direction d, std::uint64_t max) noexcept {
  if (max > max_stream_count) return stream_errc::frame_encoding_error;
  auto& limit = peer_limit_[idx(d)];
  if (max > limit) {
    limit = max;
    blocked_pending_[idx(d)] = false;
  }
  return {};
}

std::optional<std::uint64_t> stream_map::poll_streams_blocked(direction d) noexcept {
  const auto i = idx(d);
  if (!blocked_pending_[i]) return std::nullopt;
  blocked_pending_[i] = false;
  blocked_reported_[i] = peer_limit_[i];
  return peer_limit_[i];
}

std::optional<std::uint64_t> stream_map::poll_max_streams(direction d) noexcept {
  const auto i = idx(d);
  if (!max_streams_pending_[i]) return std::nullopt;
  max_streams_pending_[i] = false;
  return local_limit_[i];
}

void stream_map::on_max_streams_lost(direction d, std::uint64_t value) noexcept {
  if (value == local_limit_[idx(d)]) max_streams_pending_[idx(d)] = true;
}

void stream_map::on_peer_stream_closed(direction d) noexcept {
  const auto i = idx(d);
  ++peer_closed_[i];
  const std::uint64_t concurrent = d == direction::bidi ? cfg_.max_concurrent_bidi : cfg_.max_concurrent_uni;
  const std::uint64_t target = std::min(peer_closed_[i] + concurrent, max_stream_count);
  if (target > local_limit_[i] && target - local_limit_[i] >= std::max<std::uint64_t>(1, concurrent / 2)) {
    local_limit_[i] = target;
    max_streams_pending_[i] = true;
  }
}

void stream_map::set_urgency(stream_id id, std::uint8_t urgency) {
  stream* s = find(id);
  if (s == nullptr) return;
  s->urgency = std::min(urgency, lowest_urgency);
  if (scheduler_.is_scheduled(id)) scheduler_.schedule(id, s->urgency);
}

bool stream_map::update(stream_id id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return false;
  stream& s = it->second;
  if (s.send && s.send->has_data_to_send())
    scheduler_.schedule(id, s.urgency);
  else
    scheduler_.unschedule(id);
  const bool control = (s.send && s.send->has_control_pending()) || (s.recv && s.recv->has_control_pending());
  if (control && !s.control_queued) {
    s.control_queued = true;
    control_.push_back(id);
  }
  if (!s.is_closed() || control) return true;
  scheduler_.unschedule(id);
  if (!is_local(id, cfg_.self)) on_peer_stream_closed(dir(id));
  streams_.erase(it);
  return false;
}

stream* stream_map::next_to_send() noexcept {
  while (auto id = scheduler_.peek()) {
    stream* s = find(*id);
    if (s != nullptr && s->send && s->send->has_data_to_send()) return s;
    scheduler_.unschedule(*id);
  }
  return nullptr;
}

stream* stream_map::next_early_to_send() noexcept {
  const auto id = scheduler_.peek_if([this](stream_id candidate) {
    const stream* s = find(candidate);
    return s != nullptr && s->allow_early && s->send && s->send->has_data_to_send();
  });
  return id ? find(*id) : nullptr;
}

bool stream_map::on_chunk_sent(stream_id id) {
  stream* s = find(id);
  if (s == nullptr) return false;
  scheduler_.on_sent(id, s->send && s->send->has_data_to_send());
  return update(id);
}

std::optional<stream_id> stream_map::next_control() noexcept {
  while (!control_.empty()) {
    const stream_id id = control_.front();
    control_.pop_front();
    if (stream* s = find(id)) {
      s->control_queued = false;
      return id;
    }
  }
  return std::nullopt;
}

} // namespace tern::stream
