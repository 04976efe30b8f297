// Deadline messages, receiving side.
//
// A window of entries, one per message id from base_ (the next id to hand
// to the application) upwards, holds each message's state: unseen,
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
// spans at most max_pending_messages ids. Fragments for ids below base_, or
// for dropped entries, are discarded (late).
#include "stream/message_receiver.hpp"

#include "stream/stream_errc.hpp"

#include <algorithm>
#include <cstring>

namespace tern::stream {

message_receiver::message_receiver(message_receiver_config cfg) : cfg_{cfg} {
  if (cfg_.max_pending_messages == 0) cfg_.max_pending_messages = 1;
}

void message_receiver::drop(entry& e, drop_reason why) noexcept {
  e.st = entry::state::dropped;
  e.reason = why;
  buffered_ -= e.data.size();
  e.data = {};
  e.received.clear();
}

void message_receiver::push_ready(message_event ev) {
  if (ev.what == message_event::kind::dropped) {
    stats_.dropped += ev.count;
    if (!ready_.empty()) {
      auto& back = ready_.back();
      if (back.what == message_event::kind::dropped && back.reason == ev.reason &&
          back.id + back.count == ev.id) {
        back.count += ev.count;
        return;
      }
    }
  } else {
    ++stats_.delivered;
  }
  ready_.push_back(std::move(ev));
}

void message_receiver::make_room(std::uint64_t id) {
  while (id - base_ >= cfg_.max_pending_messages) {
    if (window_.empty()) {
      const std::uint64_t gap = id - base_ - cfg_.max_pending_messages + 1;
      push_ready({message_event::kind::dropped, base_, gap, drop_reason::overrun, {}});
      base_ += gap;
      break;
    }
    entry& e = window_.front();
    if (e.st == entry::state::complete) {
      // Memory stays counted until poll() hands the message out.
      push_ready({message_event::kind::delivered, base_, 1, drop_reason::abandoned, std::move(e.data)});
    } else {
      if (e.st != entry::state::dropped) drop(e, drop_reason::overrun);
      push_ready({message_event::kind::dropped, base_, 1, e.reason, {}});
    }
    window_.pop_front();
    ++base_;
  }
}

std::error_code message_receiver::on_fragment(std::uint64_t id, std::uint64_t length, std::uint64_t offset,
                                              std::span<const std::byte> data, duration ttl, time_point now) {
  if (offset > length || data.size() > length - offset) return stream_errc::protocol_violation;
  if (id < base_) {
    ++stats_.late_fragments;
    return {};
  }
  make_room(id);
  if (window_.size() <= id - base_) window_.resize(static_cast<std::size_t>(id - base_ + 1));
  entry& e = window_[static_cast<std::size_t>(id - base_)];

  switch (e.st) {
  case entry::state::dropped:
    ++stats_.late_fragments;
    return {};
  case entry::state::complete:
    if (length != e.length) return stream_errc::protocol_violation;
    ++stats_.duplicate_fragments;
    return {};
  case entry::state::partial:
    if (length != e.length) return stream_errc::protocol_violation;
    break;
  case entry::state::unseen:
    e.length = length;
    if (length > cfg_.max_message_size || buffered_ + length > cfg_.max_buffered_bytes) {
      drop(e, drop_reason::no_memory);
      return {};
    }
    e.st = entry::state::partial;
    e.data.resize(static_cast<std::size_t>(length));
    buffered_ += static_cast<std::size_t>(length);
    e.expiry = now + std::max(ttl, duration::zero());
    next_expiry_ = std::min(next_expiry_, e.expiry);
    break;
  }

  const std::uint64_t end = offset + data.size();
  if (!data.empty()) {
    if (e.received.contains(offset, end)) {
      ++stats_.duplicate_fragments;
    } else {
      std::memcpy(e.data.data() + offset, data.data(), data.size());
      e.received.insert(offset, end);
    }
  }
  if (e.received.contains(0, e.length)) {
    e.st = entry::state::complete;
    e.received.clear();
  }
  return {};
}

void message_receiver::on_abandon(std::uint64_t id) {
  if (id < base_) return;
  make_room(id);
  if (window_.size() <= id - base_) window_.resize(static_cast<std::size_t>(id - base_ + 1));
  entry& e = window_[static_cast<std::size_t>(id - base_)];
  if (e.st == entry::state::unseen || e.st == entry::state::partial) drop(e, drop_reason::abandoned);
}

void message_receiver::expire(time_point now) noexcept {
  if (now < next_expiry_) return;
  time_point next = never;
  for (auto& e : window_) {
    if (e.st != entry::state::partial && e.st != entry::state::complete) continue;
    if (e.expiry <= now)
      drop(e, drop_reason::expired);
    else
      next = std::min(next, e.expiry);
  }
  next_expiry_ = next;
}

std::optional<message_event> message_receiver::poll(time_point now) {
  expire(now);
  if (!ready_.empty()) {
    message_event ev = std::move(ready_.front());
    ready_.pop_front();
    buffered_ -= ev.data.size();
    return ev;
  }
  if (window_.empty()) return std::nullopt;
  entry& front = window_.front();
  if (front.st == entry::state::complete) {
    message_event ev{message_event::kind::delivered, base_, 1, drop_reason::abandoned, std::move(front.data)};
    buffered_ -= ev.data.size();
    window_.pop_front();
    ++base_;
    ++stats_.delivered;
    return ev;
  }
  if (front.st == entry::state::dropped) {
    const drop_reason why = front.reason;
    message_event ev{message_event::kind::dropped, base_, 0, why, {}};
    while (!window_.empty() && window_.front().st == entry::state::dropped && window_.front().reason == why) {
      window_.pop_front();
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
