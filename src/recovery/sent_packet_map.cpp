// The sent-packet table: a power-of-two ring indexed by packet number.
//
// Slot pn & mask holds packet pn while first_ <= pn < next_. Growth doubles
// the ring and re-homes live entries; with a live span bounded by the 2^15
// unacknowledged-packet limit plus recently lost packets, it stops growing
// early in a connection. release_if_empty() frees a grown table that holds
// nothing (an idle connection keeps initial_capacity_ slots at most); it
// starts again at the capacity its last busy period needed.
//
// next_pending() skips acknowledged runs with union-find style pointers
// (path halving): an acked slot points at a later number with only acked or
// empty slots in between. A slot never becomes pending again once acked, so
// the pointers stay valid, and each ACK range costs the packets it newly
// acknowledges plus a near-constant amount of pointer chasing.

#include "recovery/sent_packet_map.hpp"

#include "util/assert.hpp"

#include <algorithm>
#include <bit>

namespace tern::recovery {

sent_packet_map::sent_packet_map(std::size_t initial_capacity)
    : initial_capacity_(std::bit_ceil(std::max<std::size_t>(initial_capacity, 16))) {}

void sent_packet_map::grow(std::uint64_t needed) {
  std::size_t cap = slots_.empty() ? std::max(initial_capacity_, restart_capacity_) : slots_.size();
  while (cap < needed) cap *= 2;
  if (cap == slots_.size()) return;
  std::vector<slot> bigger(cap);
  const std::uint64_t new_mask = cap - 1;
  for (std::uint64_t pn = first_; pn < next_; ++pn) bigger[pn & new_mask] = at(pn);
  slots_.swap(bigger);
  mask_ = new_mask;
}

sent_packet& sent_packet_map::record(const sent_packet& p) {
  if (!started_) {
    first_ = next_ = p.packet_number;
    started_ = true;
  }
  TERN_ASSERT(p.packet_number >= next_);
  if (empty()) first_ = next_ = p.packet_number; // nothing live: restart the window here
  grow(p.packet_number + 1 - first_);
  for (std::uint64_t pn = next_; pn < p.packet_number; ++pn) {
    slot& gap = at(pn);
    gap.packet = sent_packet{};
    gap.packet.packet_number = pn;
    gap.skip = pn + 1;
  }
  slot& s = at(p.packet_number);
  s.packet = p;
  s.skip = p.packet_number + 1;
  next_ = p.packet_number + 1;
  peak_ = std::max(peak_, size());
  return s.packet;
}

sent_packet* sent_packet_map::find(std::uint64_t pn) noexcept {
  if (pn < first_ || pn >= next_) return nullptr;
  slot& s = at(pn);
  return s.packet.state == packet_state::none ? nullptr : &s.packet;
}

const sent_packet* sent_packet_map::find(std::uint64_t pn) const noexcept {
  if (pn < first_ || pn >= next_) return nullptr;
  const slot& s = at(pn);
  return s.packet.state == packet_state::none ? nullptr : &s.packet;
}

std::uint64_t sent_packet_map::next_pending(std::uint64_t from) noexcept {
  std::uint64_t x = std::max(from, first_);
  while (x < next_ && skippable(at(x))) {
    slot& s = at(x);
    const std::uint64_t to = s.skip;
    // Path halving: point past the next hop too when it is also skippable.
    if (to < next_ && skippable(at(to))) s.skip = at(to).skip;
    x = to;
  }
  return std::min(x, next_);
}

void sent_packet_map::mark_acked(sent_packet& p) noexcept {
  p.state = packet_state::acked;
  at(p.packet_number).skip = p.packet_number + 1;
}

void sent_packet_map::forget(sent_packet& p) noexcept {
  p.state = packet_state::none;
  at(p.packet_number).skip = p.packet_number + 1;
}

void sent_packet_map::mark_lost(sent_packet& p, time_point now) noexcept {
  p.state = packet_state::lost;
  p.time_lost = now;
}

void sent_packet_map::retire(time_point lost_cutoff) noexcept {
  while (first_ < next_) {
    const sent_packet& p = at(first_).packet;
    const bool done = p.state == packet_state::none || p.state == packet_state::acked ||
                      (p.state == packet_state::lost && p.time_lost <= lost_cutoff);
    if (!done) break;
    ++first_;
  }
}

bool sent_packet_map::release_if_empty() noexcept {
  if (!empty() || slots_.size() <= initial_capacity_) return false;
  restart_capacity_ = std::bit_ceil(static_cast<std::size_t>(peak_));
  peak_ = 0;
  std::vector<slot>().swap(slots_);
  mask_ = 0;
  return true;
}

} // namespace tern::recovery
