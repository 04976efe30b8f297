// Deadline messages, sending side.
//
// Each message is tracked like a tiny stream: a cursor for unsent bytes, a
// range set of acknowledged bytes, a range set of lost bytes to offer again,
// and the copies in flight (ordered by offset, so an acknowledgement or a
// loss costs O(log n) in the copies out, whatever their number). A loss makes a range eligible again only
// where no other copy is still in flight and nothing acknowledged it, so a
// range sent twice is repaired only when both copies are gone.
//
// Deadline rule: data is offered only if it can arrive in time,
// now + one_way_delay <= deadline. Waiting for a loss to be detected takes
// about 9/8 RTT (RFC 9002 §6.1.2 time threshold) and the repair another
// one-way delay, so a retransmission sent when
//     now + 9/8 * (2 * one_way_delay) + one_way_delay > deadline
// cannot itself be repaired in time. Such a last-chance retransmission is
// queued a second time, to go in a different packet: with independent loss
// p per packet the message then misses only with probability p^2 instead
// of p (2% -> 0.04%).
//
// Abandon: at its deadline a message not fully acknowledged is given up,
// its memory freed, and its id queued for a MESSAGE_ABANDON frame, which the
// connection must deliver reliably so the receiver stops waiting for it.
//
// Dependencies: a message in progress keeps the ids of the messages that
// named it as their dependency. Giving a message up walks that graph
// (iteratively, each message once: O(messages given up)) and gives up every
// dependent with cause `dependency`. A dependency always points to an
// earlier id, so the graph has no cycles; it may point at most
// max_dependency_distance back, which bounds the memory of which recent ids
// were given up (a range set) for dependents queued after the fact. A
// message whose deadline passes with every byte sent and none known lost
// may well have arrived (its acknowledgement is still on the way: with a
// deadline near one round trip, that is every message): its dependents are
// not given up with it.
#include "stream/message_sender.hpp"

#include "stream/stream_errc.hpp"

#include <algorithm>

namespace tern::stream {

message_sender::message_sender(message_sender_config cfg) : cfg_{cfg} {}

std::uint64_t message_sender::send(std::span<const std::byte> msg, time_point deadline, time_point now,
                                   std::error_code& ec, std::optional<std::uint64_t> depends_on) {
  ec.clear();
  const bool dependency_known =
      !depends_on || (*depends_on < next_id_ && next_id_ - *depends_on <= cfg_.max_dependency_distance);
  if (msg.empty() || !dependency_known) {
    ec = std::make_error_code(std::errc::invalid_argument);
    return 0;
  }
  if (msg.size() > cfg_.max_message_size) {
    ec = stream_errc::message_too_large;
    return 0;
  }
  if (deadline <= now) {
    ec = stream_errc::deadline_passed;
    return 0;
  }
  if (buffered_ + msg.size() > cfg_.max_buffered_bytes) {
    ec = stream_errc::buffer_full;
    return 0;
  }
  message& m = messages_.emplace_back();
  m.id = next_id_++;
  m.deadline = deadline;
  m.queued_at = now;
  ++stats_.messages_queued;
  // Forget outcomes a new dependency can no longer name.
  if (next_id_ > cfg_.max_dependency_distance) given_up_recent_.erase(0, next_id_ - cfg_.max_dependency_distance);
  if (depends_on && given_up_recent_.contains(*depends_on, *depends_on + 1)) {
    m.done = true;
    abandons_.push_back({m.id, abandon_cause::dependency});
    given_up_recent_.insert(m.id, m.id + 1);
    ++stats_.messages_dropped_dependency;
    const std::uint64_t id = m.id;
    pop_done();
    return id;
  }
  m.data.assign(msg.begin(), msg.end());
  buffered_ += msg.size();
  if (depends_on)
    if (message* dep = find(*depends_on)) dep->dependents.push_back(m.id);
  return m.id;
}

message_sender::message* message_sender::find(std::uint64_t id) noexcept {
  if (messages_.empty() || id < messages_.front().id) return nullptr;
  const std::uint64_t i = id - messages_.front().id;
  if (i >= messages_.size() || messages_[i].done) return nullptr;
  return &messages_[i];
}

void message_sender::free_message(message& m) noexcept {
  m.done = true;
  buffered_ -= m.data.size();
  m.data = {};
  m.acked.clear();
  m.lost.clear();
  m.in_flight.clear();
  m.dependents = {};
}

void message_sender::note_first_fragment(duration wait) noexcept {
  stats_.max_first_fragment_wait = std::max(stats_.max_first_fragment_wait, wait);
  std::size_t bucket = 0;
  while (bucket < first_fragment_wait_bounds_ms.size() &&
         wait > std::chrono::milliseconds(first_fragment_wait_bounds_ms[bucket]))
    ++bucket;
  ++stats_.first_fragment_waits[bucket];
}

void message_sender::pop_done() noexcept {
  while (!messages_.empty() && messages_.front().done) messages_.pop_front();
}

void message_sender::retire(message& m) noexcept {
  free_message(m); // its dependents stay: what they need arrived
  pop_done();
}

void message_sender::give_up(message& root, abandon_cause cause) {
  drop_stack_.clear();
  drop_stack_.push_back(root.id);
  bool first = true;
  while (!drop_stack_.empty()) {
    const std::uint64_t id = drop_stack_.back();
    drop_stack_.pop_back();
    message* m = find(id);
    if (m == nullptr) continue; // acknowledged, or already given up
    const abandon_cause why = first ? cause : abandon_cause::dependency;
    first = false;
    abandons_.push_back({id, why});
    if (why == abandon_cause::deadline)
      ++stats_.messages_abandoned;
    else
      ++stats_.messages_dropped_dependency;
    const bool may_have_arrived = why == abandon_cause::deadline && m->next_new == m->data.size() && m->lost.empty();
    if (!may_have_arrived) {
      given_up_recent_.insert(id, id + 1);
      drop_stack_.insert(drop_stack_.end(), m->dependents.begin(), m->dependents.end());
    }
    free_message(*m);
  }
}

void message_sender::add_in_flight(message& m, byte_range r) {
  m.in_flight.insert(r);
  m.longest_in_flight = std::max(m.longest_in_flight, r.size());
}

void message_sender::drop_in_flight(message& m, byte_range r) noexcept {
  auto it = m.in_flight.find(r);
  if (it != m.in_flight.end()) m.in_flight.erase(it);
}

message_fragment message_sender::make_fragment(const message& m, byte_range r,
                                               time_point now) const noexcept {
  message_fragment f;
  f.message_id = m.id;
  f.message_length = m.data.size();
  f.offset = r.begin;
  f.data = std::span<const std::byte>{m.data}.subspan(static_cast<std::size_t>(r.begin),
                                                      static_cast<std::size_t>(r.size()));
  f.ttl = std::max(m.deadline - now, duration::zero());
  return f;
}

void message_sender::on_timeout(time_point now) {
  // give_up() only marks messages done; popping waits for the loop's end.
  for (auto& m : messages_)
    if (!m.done && m.deadline <= now) give_up(m, abandon_cause::deadline);
  pop_done();
}

time_point message_sender::next_timeout() const noexcept {
  time_point t = never;
  for (const auto& m : messages_)
    if (!m.done) t = std::min(t, m.deadline);
  return t;
}

std::size_t message_sender::in_progress() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(messages_.begin(), messages_.end(), [](const message& m) { return !m.done; }));
}

std::optional<message_fragment> message_sender::next_fragment(std::size_t max_payload, time_point now,
                                                              duration owd, std::uint64_t packet_tag) {
  on_timeout(now);
  if (max_payload == 0) return std::nullopt;

  // Pending duplicates of last-chance retransmissions come first.
  for (auto it = duplicates_.begin(); it != duplicates_.end();) {
    message* m = find(it->message_id);
    if (m == nullptr) {
      it = duplicates_.erase(it);
      continue;
    }
    if (m->acked.contains(it->range.begin, it->range.end) || !can_arrive(*m, now, owd)) {
      drop_in_flight(*m, it->range);
      it = duplicates_.erase(it);
      continue;
    }
    if (it->original_packet == packet_tag) {
      ++it;
      continue;
    }
    byte_range out = it->range;
    if (out.size() > max_payload) {
      // Split: the part sent now becomes its own in-flight copy.
      out.end = out.begin + max_payload;
      if (auto rec = m->in_flight.find(it->range); rec != m->in_flight.end()) {
        m->in_flight.erase(rec);
        add_in_flight(*m, byte_range{out.end, it->range.end});
      }
      add_in_flight(*m, out);
      it->range.begin = out.end;
    } else {
      duplicates_.erase(it);
    }
    auto f = make_fragment(*m, out, now);
    f.retransmission = true;
    f.duplicate = true;
    ++stats_.fragments_sent;
    ++stats_.duplicates;
    return f;
  }

  for (auto& m : messages_) {
    if (m.done || !can_arrive(m, now, owd)) continue;
    if (!m.lost.empty()) {
      byte_range r = m.lost.front();
      r.end = std::min<std::uint64_t>(r.end, r.begin + max_payload);
      m.lost.erase(r.begin, r.end);
      add_in_flight(m, r);
      const duration repair_round = 2 * owd * 9 / 8 + owd;
      if (cfg_.duplicate_always || (cfg_.duplicate_last_chance && now + repair_round > m.deadline)) {
        add_in_flight(m, r);
        duplicates_.push_back({m.id, r, packet_tag});
      }
      auto f = make_fragment(m, r, now);
      f.retransmission = true;
      ++stats_.fragments_sent;
      ++stats_.retransmissions;
      return f;
    }
    if (m.next_new < m.data.size()) {
      const byte_range r{m.next_new, std::min<std::uint64_t>(m.data.size(), m.next_new + max_payload)};
      if (r.begin == 0) note_first_fragment(now - m.queued_at);
      m.next_new = r.end;
      add_in_flight(m, r);
      if (cfg_.duplicate_always) {
        add_in_flight(m, r);
        duplicates_.push_back({m.id, r, packet_tag});
      }
      ++stats_.fragments_sent;
      return make_fragment(m, r, now);
    }
  }
  return std::nullopt;
}

bool message_sender::has_pending(time_point now, duration owd) const noexcept {
  for (const auto& d : duplicates_) {
    if (messages_.empty() || d.message_id < messages_.front().id) continue;
    const auto& m = messages_[d.message_id - messages_.front().id];
    if (!m.done && m.deadline > now && can_arrive(m, now, owd)) return true;
  }
  for (const auto& m : messages_) {
    if (m.done || m.deadline <= now || !can_arrive(m, now, owd)) continue;
    if (!m.lost.empty() || m.next_new < m.data.size()) return true;
  }
  return false;
}

void message_sender::on_acked(const fragment_ref& f) {
  message* m = find(f.message_id);
  if (m == nullptr) return;
  const std::uint64_t end = std::min<std::uint64_t>(f.offset + f.length, m->data.size());
  if (f.offset >= end) return;
  drop_in_flight(*m, byte_range{f.offset, end});
  m->acked.insert(f.offset, end);
  m->lost.erase(f.offset, end);
  if (m->acked.contains(0, m->data.size())) {
    ++stats_.messages_acked;
    retire(*m);
  }
}

void message_sender::on_lost(const fragment_ref& f) {
  message* m = find(f.message_id);
  if (m == nullptr) return;
  const std::uint64_t end = std::min<std::uint64_t>(f.offset + f.length, m->data.size());
  if (f.offset >= end) return;
  drop_in_flight(*m, byte_range{f.offset, end});
  // Offer again what neither an acknowledgement nor another live copy covers.
  scratch_.clear();
  scratch_.insert(f.offset, end);
  scratch_.erase_held_by(m->acked, f.offset, end);
  // Only copies that can overlap [offset, end): none starts more than the
  // longest copy before it.
  const std::uint64_t from = f.offset > m->longest_in_flight ? f.offset - m->longest_in_flight : 0;
  for (auto it = m->in_flight.lower_bound(byte_range{from, from}); it != m->in_flight.end() && it->begin < end; ++it)
    if (it->end > f.offset) scratch_.erase(it->begin, it->end);
  for (const auto& r : scratch_) m->lost.insert(r.begin, r.end);
}

std::optional<abandon_notice> message_sender::poll_abandon() noexcept {
  if (abandons_.empty()) return std::nullopt;
  const abandon_notice id = abandons_.front();
  abandons_.pop_front();
  return id;
}

} // namespace tern::stream
