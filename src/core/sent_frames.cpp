#include "core/sent_frames.hpp"

#include <utility>

namespace tern::core {

std::uint64_t sent_frames::begin_packet() {
  record r;
  if (!spare_.empty()) {
    r.frames = std::move(spare_.back());
    spare_.pop_back();
  }
  r.frames.clear();
  r.live = true;
  records_.push_back(std::move(r));
  ++live_;
  return base_ + records_.size() - 1;
}

void sent_frames::add(const sent_frame& f) {
  if (!records_.empty()) records_.back().frames.push_back(f);
}

std::span<const sent_frame> sent_frames::frames(std::uint64_t cookie) const noexcept {
  if (cookie < base_ || cookie - base_ >= records_.size()) return {};
  const auto& r = records_[cookie - base_];
  if (!r.live) return {};
  return r.frames;
}

void sent_frames::release(std::uint64_t cookie) noexcept {
  if (cookie < base_ || cookie - base_ >= records_.size()) return;
  auto& r = records_[cookie - base_];
  if (!r.live) return;
  r.live = false;
  --live_;
  while (!records_.empty() && !records_.front().live) {
    if (spare_.size() < 1024) spare_.push_back(std::move(records_.front().frames));
    records_.pop_front();
    ++base_;
  }
}

} // namespace tern::core
