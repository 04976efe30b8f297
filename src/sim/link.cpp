// One direction of an impaired path, with netem's semantics.
//
// Per offered packet, in the order Linux net/sched/sch_netem.c
// (netem_enqueue) makes its random draws:
//  1. duplicate: a correlated draw; on success one extra copy is made.
//  2. loss: the loss model (loss_model.cpp). A loss cancels one copy, so a
//     packet that was both duplicated and lost goes through once; with `ecn`
//     the packet is marked CE instead.
//  3. the copy, if any, enters the link as a fresh packet with duplication
//     disabled: its own loss draw, corruption, limit check and delay (netem
//     re-enqueues the clone at the root qdisc with q->duplicate = 0).
//  4. corrupt: one random bit of one random payload byte is flipped.
//  5. limit: a packet arriving when `limit` packets are held is dropped
//     (netem's limit counts every packet it holds, delayed ones included,
//     which is why long delays at high rates need a larger limit).
//  6. reorder or delay: unless reordering is off (gap 0), the packet is one
//     of the first gap-1 after the last reorder, or a correlated draw says
//     no, it is delayed by tabledist(delay, jitter) (distribution.hpp);
//     otherwise it is sent at once, ahead of everything queued, and the gap
//     counter restarts. Delayed packets leave in due-time order, so jitter
//     alone reorders packets, as netem's time-sorted queue does.
//  7. rate: the packet cannot start before the previous rate-limited packet
//     has left, and then takes (size + overhead, rounded up to whole cells)
//     * 8 / rate to serialize: due = max(now + delay, last_due) + tx_time.
//     tern computes tx_time from bits per second, so rates that are not a
//     whole number of bytes per second are not rounded.
// A negative delay from a wide jitter is clamped to zero (netem would give a
// due time in the past, i.e. send at once).
//
// slot (netem_dequeue / get_slot_next): packets leave only in slots; the
// next slot opens a random delay (uniform in [min, max], or from a
// distribution) after the previous one closed, a slot closes after
// `packets` packets or `bytes` bytes, and a slot that opened before the head
// packet was ready is re-drawn from the moment the link looks at it, so an
// idle link's first packet waits a full slot delay. tern evaluates the slot
// rule only at next_event() times, so the outcome does not depend on how
// often the driver polls.

#include "sim/link.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace tern::sim {

double link_stats::mean_delay_seconds() const noexcept {
  if (packets_out == 0) return 0;
  return static_cast<double>(delay_total.count()) / static_cast<double>(packets_out) * 1e-9;
}

double link_stats::mean_queue_delay_seconds() const noexcept {
  if (packets_out == 0) return 0;
  return static_cast<double>(queue_delay_total.count()) / static_cast<double>(packets_out) * 1e-9;
}

netem_link::netem_link(const netem_spec& spec, std::uint64_t seed, buffer_pool* pool)
    : rng_(spec.seed.value_or(seed)), pool_(pool) {
  set_spec(spec);
}

void netem_link::set_spec(const netem_spec& spec) {
  const bool reseed = spec.seed.has_value() && spec.seed != spec_.seed;
  spec_ = spec;
  if (reseed) rng_.reseed(*spec.seed);
  duplicate_ = probability_threshold(spec.duplicate.percent);
  reorder_ = probability_threshold(spec.reorder.percent);
  corrupt_ = probability_threshold(spec.corrupt.percent);
  delay_corr_ = correlated_random{spec.delay_correlation, rng_};
  dup_corr_ = correlated_random{spec.duplicate.correlation, rng_};
  reorder_corr_ = correlated_random{spec.reorder.correlation, rng_};
  corrupt_corr_ = correlated_random{spec.corrupt.correlation, rng_};
  loss_ = loss_model{spec.loss, rng_};
  slot_next_ = time_point{};
  slot_packets_left_ = spec.slot.max_packets > 0 ? spec.slot.max_packets : std::numeric_limits<std::int64_t>::max();
  slot_bytes_left_ = spec.slot.max_bytes > 0 ? spec.slot.max_bytes : std::numeric_limits<std::int64_t>::max();
}

void netem_link::drop(packet&& p) {
  if (pool_ != nullptr) pool_->release(std::move(p.payload));
}

enqueue_outcome netem_link::enqueue(packet&& p, time_point now) {
  ++stats_.packets_in;
  stats_.bytes_in += p.payload.size();
  enqueue_outcome out;

  int count = 1;
  if (duplicate_ != 0 && duplicate_ >= dup_corr_.next(rng_)) ++count;
  bool ce = false;
  if (loss_.lost(rng_)) {
    if (spec_.ecn) ce = true;
    else --count;
  }
  if (count == 0) {
    ++stats_.lost;
    out.original.fate = packet_fate::lost;
    drop(std::move(p));
    return out;
  }
  if (count > 1) {
    // The copy goes through the whole link on its own, before the original.
    out.duplicated = true;
    ++stats_.duplicated;
    packet copy;
    copy.payload = pool_ != nullptr ? pool_->copy_of(p.payload) : p.payload;
    copy.id = p.id;
    copy.from = p.from;
    copy.to = p.to;
    copy.route = p.route;
    copy.hop = p.hop;
    copy.sent = p.sent;
    const bool copy_loss = loss_.lost(rng_);
    if (copy_loss && !spec_.ecn) {
      ++stats_.lost;
      out.duplicate.fate = packet_fate::lost;
      drop(std::move(copy));
    } else {
      out.duplicate = admit(std::move(copy), now, copy_loss);
    }
  }
  out.original = admit(std::move(p), now, ce);
  return out;
}

copy_outcome netem_link::admit(packet&& p, time_point now, bool ce) {
  copy_outcome o;
  o.ce_marked = ce;
  if (ce) ++stats_.ce_marked;
  if (corrupt_ != 0 && corrupt_ >= corrupt_corr_.next(rng_) && !p.payload.empty()) {
    const auto byte = rng_.uniform(p.payload.size());
    const auto bit = rng_.uniform(8);
    p.payload[byte] ^= static_cast<std::byte>(1U << bit);
    o.corrupted = true;
    ++stats_.corrupted;
  }
  if (heap_.size() >= spec_.limit) {
    ++stats_.dropped_limit;
    o.fate = packet_fate::dropped_limit;
    drop(std::move(p));
    return o;
  }

  time_point due;
  duration queue_delay{0};
  if (spec_.gap == 0 || counter_ < spec_.gap - 1 || reorder_ < reorder_corr_.next(rng_)) {
    const auto delay = std::max<std::int64_t>(
        0, tabledist(spec_.delay.count(), spec_.jitter.count(), spec_.distribution, &delay_corr_, rng_));
    due = now + duration{delay};
    if (spec_.rate.bits_per_second != 0) {
      if (last_due_ > due) {
        queue_delay = last_due_ - due;
        due = last_due_;
      }
      due += packet_time(p.payload.size());
      last_due_ = due;
    }
    ++counter_;
  } else {
    due = now;
    counter_ = 0;
    o.reordered = true;
    ++stats_.reordered;
  }
  o.due = due;

  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  held& h = slots_[slot];
  h.pkt = std::move(p);
  h.offered = now;
  h.queue_delay = queue_delay;
  h.ce = ce;
  heap_.push_back(entry{due, next_seq_++, slot});
  std::push_heap(heap_.begin(), heap_.end(), later);
  return o;
}

duration netem_link::packet_time(std::size_t bytes) const noexcept {
  std::int64_t len = static_cast<std::int64_t>(bytes) + spec_.rate.packet_overhead;
  if (spec_.rate.cell_size != 0 && len > 0) {
    const std::int64_t cell = spec_.rate.cell_size;
    const std::int64_t cells = (len + cell - 1) / cell;
    len = cells * (cell + spec_.rate.cell_overhead);
  }
  if (len <= 0) return duration{0};
  __extension__ using u128 = unsigned __int128;
  const u128 ns = static_cast<u128>(len) * 8U * 1000000000U / spec_.rate.bits_per_second;
  // A packet cannot take longer than the longest delay a spec can express.
  return duration{static_cast<std::int64_t>(std::min<u128>(ns, 1000000000000000U))};
}

void netem_link::next_slot(time_point now) noexcept {
  std::int64_t delay;
  if (!spec_.slot.use_distribution) {
    const auto span = static_cast<std::uint64_t>((spec_.slot.max_delay - spec_.slot.min_delay).count());
    const std::uint64_t rnd = rng_.next_u32();
    const std::uint64_t offset = ((rnd * (span & 0xffffffffULL)) >> 32) + rnd * (span >> 32);
    delay = spec_.slot.min_delay.count() + static_cast<std::int64_t>(offset);
  } else {
    delay = tabledist(spec_.slot.dist_delay.count(), spec_.slot.dist_jitter.count(), spec_.slot.distribution,
                      nullptr, rng_);
  }
  slot_next_ = now + duration{std::max<std::int64_t>(0, delay)};
  slot_packets_left_ = spec_.slot.max_packets > 0 ? spec_.slot.max_packets : std::numeric_limits<std::int64_t>::max();
  slot_bytes_left_ = spec_.slot.max_bytes > 0 ? spec_.slot.max_bytes : std::numeric_limits<std::int64_t>::max();
}

time_point netem_link::next_event() const noexcept {
  if (heap_.empty()) return never;
  const time_point head = heap_.front().due;
  return spec_.slot.enabled ? std::max(head, slot_next_) : head;
}

bool netem_link::dequeue(time_point now, packet& out, exit_info* info) {
  if (heap_.empty()) return false;
  if (now < next_event()) return false;
  if (spec_.slot.enabled) {
    if (slot_next_ < heap_.front().due) next_slot(now);
    if (slot_next_ > now) return false;
  }
  const entry e = heap_.front();
  std::pop_heap(heap_.begin(), heap_.end(), later);
  heap_.pop_back();
  held& h = slots_[e.slot];
  out = std::move(h.pkt);
  free_slots_.push_back(e.slot);

  const bool out_of_order = any_out_ && e.seq < max_seq_out_;
  if (out_of_order) ++stats_.out_of_order;
  else max_seq_out_ = e.seq;
  any_out_ = true;
  ++stats_.packets_out;
  stats_.bytes_out += out.payload.size();
  const duration delay = now - h.offered;
  stats_.delay_total += delay;
  stats_.delay_max = std::max(stats_.delay_max, delay);
  stats_.queue_delay_total += h.queue_delay;
  stats_.queue_delay_max = std::max(stats_.queue_delay_max, h.queue_delay);
  if (info != nullptr) *info = exit_info{h.offered, e.due, h.queue_delay, out_of_order, h.ce};

  if (spec_.slot.enabled) {
    --slot_packets_left_;
    slot_bytes_left_ -= static_cast<std::int64_t>(out.payload.size());
    if (slot_packets_left_ <= 0 || slot_bytes_left_ <= 0) next_slot(now);
  }
  return true;
}

} // namespace tern::sim
