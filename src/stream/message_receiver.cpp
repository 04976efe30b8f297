// Deadline messages, receiving side.
//
// A window of message ids from base_ (the next id to hand to the
// application) upwards; an entry, kept only for an id some frame named (an
// id absent is unseen), holds that message's state:
// partial (buffer of message_length bytes plus a range set of what
// arrived), complete, or dropped. Events leave strictly in id order: the
// front entry is delivered when complete, reported when dropped, and
// waited for otherwise (head of line, by contract: whole messages in id
// order). Waiting is bounded in time: a message's ttl, counted from its
// first fragment's arrival, drops it; a message never seen at all is
// dropped by the sender's MESSAGE_ABANDON, or by overrun when the sender is
// max_pending_messages ahead.
//
// Memory: buffers are allocated per message (never per fragment) from the
// first fragment's message_length, within max_buffered_bytes; the window
// spans at most max_pending_messages ids, and entries are only those a
// frame named: a frame far ahead costs one entry, not one per id below it
// (docs/security.md). Fragments for ids below base_, or
// for dropped entries, are discarded (late). The fragment ranges of all
// partial messages together stay within max_held_ranges (a fragment that
// would exceed it drops its message), so one-byte fragments with holes cost
// O(log n) each and bounded memory.
//
// Events decided ahead of the application (make_room() moving the window)
// queue in ready_, at most max_queued_events of them. An application that
// stops reading must not make the queue grow with every message: at the
// cap the two oldest events fold into one drop notice (a message among them
// is freed and counted no_memory). Consecutive drops always merge, whatever
// their reasons, with a count per reason, so alternating reasons cannot
// defeat the merging either.
//
// Unordered messages: when the last missing byte of a message sent
// unordered arrives, it is queued for the application at once (its memory
// still counted until poll() hands it out) and its entry left as
// delivered_early, which leaves the window silently when its turn comes.
// Drop notices keep id order, so the application still learns every id's
// fate exactly once.
#include "stream/message_receiver.hpp"

#include "stream/stream_errc.hpp"

#include <algorithm>
#include <cstring>

namespace tern::stream {

message_receiver::message_receiver(message_receiver_config cfg, message_receive_budget* shared)
    : cfg_{cfg}, shared_{shared} {
  if (cfg_.max_pending_messages == 0) cfg_.max_pending_messages = 1;
  cfg_.max_queued_events = std::max<std::size_t>(cfg_.max_queued_events, 2); // a fold needs two
}

namespace {

message_event drop_notice(std::uint64_t id, std::uint64_t count, drop_reason why) {
  message_event ev{message_event::kind::dropped, id, 0, count, why, {}};
  ev.per_reason[static_cast<std::size_t>(why)] = count;
  return ev;
}

bool is_drop(const message_event& ev) noexcept { return ev.what == message_event::kind::dropped; }

// Appends the drop run `next` (which starts where `into` ends) to `into`.
void merge_drops(message_event& into, const message_event& next) noexcept {
  into.count += next.count;
  for (std::size_t i = 0; i < drop_reason_count; ++i) into.per_reason[i] += next.per_reason[i];
}

} // namespace

void message_receiver::charge(std::size_t bytes) noexcept {
  buffered_ += bytes;
  if (shared_) shared_->bytes += bytes;
}

void message_receiver::release(std::size_t bytes) noexcept {
  buffered_ -= bytes;
  if (shared_) shared_->bytes -= bytes;
}

void message_receiver::recount_ranges(std::size_t before, std::size_t after) noexcept {
  held_ranges_ = held_ranges_ - before + after;
  if (shared_) shared_->ranges = shared_->ranges - before + after;
}

void message_receiver::release_ranges(entry& e) noexcept {
  recount_ranges(e.received.range_count(), 0);
  e.received.clear();
}

void message_receiver::drop(entry& e, drop_reason why) noexcept {
  e.st = entry::state::dropped;
  e.reason = why;
  release(e.data.size());
  e.data = {};
  release_ranges(e);
}

void message_receiver::push_ready(message_event ev) {
  if (is_drop(ev)) {
    stats_.dropped += ev.count;
    if (!ready_.empty() && is_drop(ready_.back()) && ready_.back().id + ready_.back().count == ev.id) {
      merge_drops(ready_.back(), ev);
      return;
    }
  } else {
    ++stats_.delivered;
  }
  if (ready_.size() >= cfg_.max_queued_events) fold_oldest_ready();
  ready_.push_back(std::move(ev));
}

void message_receiver::fold_oldest_ready() {
  // Oldest first: a deadline application that catches up wants the newest
  // messages, and learns the ids it missed from the notice.
  auto as_drop = [this](message_event ev) {
    if (is_drop(ev)) return ev;
    release(ev.data.size());
    --stats_.delivered;
    ++stats_.dropped;
    return drop_notice(ev.id, 1, drop_reason::no_memory);
  };
  message_event folded = as_drop(std::move(ready_.front()));
  ready_.pop_front();
  if (!ready_.empty()) {
    merge_drops(folded, as_drop(std::move(ready_.front())));
    ready_.pop_front();
  }
  ready_.push_front(std::move(folded));
}

void message_receiver::make_room(std::uint64_t id) {
  while (id - base_ >= cfg_.max_pending_messages) {
    const auto it = entries_.begin();
    if (it == entries_.end() || it->first != base_) {
      // Ids never named, up to the next one held or the window's new start:
      // one notice, whatever their number.
      const std::uint64_t new_base = id - cfg_.max_pending_messages + 1;
      const std::uint64_t gap_end = it == entries_.end() ? new_base : std::min(new_base, it->first);
      push_ready(drop_notice(base_, gap_end - base_, drop_reason::overrun));
      base_ = gap_end;
      continue;
    }
    entry& e = it->second;
    if (e.st == entry::state::delivered_early) {
      // Handed out already: leaves without an event.
    } else if (e.st == entry::state::complete) {
      // Memory stays counted until poll() hands the message out.
      push_ready({message_event::kind::delivered, base_, 0, 1, drop_reason::abandoned, std::move(e.data)});
    } else {
      if (e.st != entry::state::dropped) drop(e, drop_reason::overrun);
      push_ready(drop_notice(base_, 1, e.reason));
    }
    entries_.erase(it);
    ++base_;
  }
}

std::error_code message_receiver::on_fragment(std::uint64_t id, std::uint64_t length, std::uint64_t offset,
                                              std::span<const std::byte> data, duration ttl, time_point now,
                                              bool unordered) {
  if (offset > length || data.size() > length - offset) return stream_errc::protocol_violation;
  if (id < base_) {
    ++stats_.late_fragments;
    return {};
  }
  make_room(id);
  entry& e = entries_[id];

  switch (e.st) {
  case entry::state::dropped:
    ++stats_.late_fragments;
    return {};
  case entry::state::complete:
  case entry::state::delivered_early:
    if (length != e.length) return stream_errc::protocol_violation;
    ++stats_.duplicate_fragments;
    return {};
  case entry::state::partial:
    if (length != e.length) return stream_errc::protocol_violation;
    break;
  case entry::state::unseen:
    e.length = length;
    if (length > cfg_.max_message_size || bytes_held_all() + length > cfg_.max_buffered_bytes) {
      drop(e, drop_reason::no_memory);
      return {};
    }
    e.st = entry::state::partial;
    e.unordered = unordered;
    e.data.resize(static_cast<std::size_t>(length));
    charge(static_cast<std::size_t>(length));
    // The ttl is the peer's: one beyond the end of time means never (a
    // plain sum would overflow).
    ttl = std::max(ttl, duration::zero());
    e.expiry = ttl >= never - now ? never : now + ttl;
    next_expiry_ = std::min(next_expiry_, e.expiry);
    break;
  }

  const std::uint64_t end = offset + data.size();
  if (!data.empty()) {
    // One tree search per fragment: the insert says whether anything was new.
    const std::size_t before = e.received.range_count();
    if (e.received.insert(offset, end) == 0) {
      ++stats_.duplicate_fragments;
    } else {
      std::memcpy(e.data.data() + offset, data.data(), data.size());
      recount_ranges(before, e.received.range_count());
      if (ranges_held_all() > cfg_.max_held_ranges) {
        drop(e, drop_reason::no_memory);
        return {};
      }
    }
  }
  if (e.received.total() == e.length) { // every offset of [0, length) arrived
    e.st = entry::state::complete;
    release_ranges(e);
    if (e.unordered && id != base_) {
      // Memory stays counted until poll() hands the message out.
      e.st = entry::state::delivered_early;
      push_ready({message_event::kind::delivered, id, 0, 1, drop_reason::abandoned, std::move(e.data)});
      e.data = {};
    }
  }
  return {};
}

void message_receiver::on_abandon(std::uint64_t id, drop_reason why) {
  if (id < base_) return;
  make_room(id);
  entry& e = entries_[id];
  // A whole message still waiting its turn is delivered after a deadline
  // abandon (it made it), but not after a dependency one: what it needs to
  // be used was given up, so handing it out would only cost the reader.
  const bool waiting = e.st == entry::state::unseen || e.st == entry::state::partial;
  if (waiting || (e.st == entry::state::complete && why == drop_reason::dependency)) drop(e, why);
}

void message_receiver::expire(time_point now) noexcept {
  if (now < next_expiry_) return;
  time_point next = never;
  for (auto& held : entries_) {
    entry& e = held.second;
    if (e.st != entry::state::partial && e.st != entry::state::complete) continue;
    if (e.expiry <= now)
      drop(e, drop_reason::expired);
    else
      next = std::min(next, e.expiry);
  }
  next_expiry_ = next;
}

void message_receiver::skip_delivered_early() noexcept {
  while (!entries_.empty() && entries_.begin()->first == base_ &&
         entries_.begin()->second.st == entry::state::delivered_early) {
    entries_.erase(entries_.begin());
    ++base_;
  }
}

std::optional<message_event> message_receiver::poll(time_point now) {
  expire(now);
  if (!ready_.empty()) {
    message_event ev = std::move(ready_.front());
    ready_.pop_front();
    release(ev.data.size());
    return ev;
  }
  skip_delivered_early();
  if (entries_.empty() || entries_.begin()->first != base_) return std::nullopt; // the next id: unseen
  entry& front = entries_.begin()->second;
  if (front.st == entry::state::complete) {
    message_event ev{message_event::kind::delivered, base_, 0, 1, drop_reason::abandoned, std::move(front.data)};
    release(ev.data.size());
    entries_.erase(entries_.begin());
    ++base_;
    ++stats_.delivered;
    return ev;
  }
  if (front.st == entry::state::dropped) {
    message_event ev = drop_notice(base_, 0, front.reason);
    while (!entries_.empty() && entries_.begin()->first == base_ &&
           entries_.begin()->second.st == entry::state::dropped) {
      ++ev.per_reason[static_cast<std::size_t>(entries_.begin()->second.reason)];
      entries_.erase(entries_.begin());
      ++base_;
      ++ev.count;
    }
    stats_.dropped += ev.count;
    return ev;
  }
  return std::nullopt;
}

time_point message_receiver::next_timeout() const noexcept { return next_expiry_; }

} // namespace tern::stream
