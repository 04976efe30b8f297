#include "fec/block_encoder.hpp"

#include "fec/reed_solomon.hpp"

#include <algorithm>
#include <array>

namespace tern::fec {

namespace bounds = wire::repair_bounds;

bool block_encoder::fits(std::uint64_t number) const noexcept {
  if (sources_ == 0) return true;
  return sources_ < bounds::max_sources && number > first_ && number - first_ < bounds::max_span;
}

bool block_encoder::add_source(std::uint64_t number, std::span<const std::byte> payload) {
  if (!fits(number) || payload.empty() || payload.size() + 2 > bounds::max_symbol_length) return false;
  if (sources_ == 0) {
    first_ = number;
    mask_ = 0;
    symbol_length_ = 0;
  }
  if (symbols_.size() <= sources_) symbols_.emplace_back();
  auto& s = symbols_[sources_++];
  s.resize(2 + payload.size());
  s[0] = static_cast<std::byte>(payload.size() >> 8);
  s[1] = static_cast<std::byte>(payload.size() & 0xff);
  std::copy(payload.begin(), payload.end(), s.begin() + 2);
  mask_ |= std::uint64_t{1} << (number - first_);
  symbol_length_ = std::max(symbol_length_, s.size());
  return true;
}

void block_encoder::close_block(std::size_t repairs) {
  const std::size_t k = sources_;
  sources_ = 0;
  repairs = std::min<std::size_t>(repairs, bounds::max_repairs);
  if (k == 0 || repairs == 0) return;
  // k <= max_sources and repairs <= max_repairs: the pointer tables live
  // on the stack, and repair buffers come back through spare_symbols_, so a
  // steady stream of blocks allocates nothing.
  std::array<const std::byte*, wire::repair_bounds::max_sources> in{};
  for (std::size_t i = 0; i < k; ++i) {
    symbols_[i].resize(symbol_length_); // zero padding
    in[i] = symbols_[i].data();
  }
  while (queue_.size() + repairs > max_queued_repairs && !queue_.empty()) drop_front();
  const std::size_t start = queue_.size();
  std::array<std::byte*, wire::repair_bounds::max_repairs> out{};
  for (std::size_t r = 0; r < repairs; ++r) {
    auto& q = queue_.emplace_back();
    if (!spare_symbols_.empty()) {
      q.symbol = std::move(spare_symbols_.back());
      spare_symbols_.pop_back();
    }
    q.symbol.resize(symbol_length_);
    q.frame.first_packet = first_;
    q.frame.source_mask = mask_;
    q.frame.repair_count = repairs;
    q.frame.repair_index = r;
    out[r] = q.symbol.data();
  }
  if (!encode_repairs(std::span(in).first(k), 0, std::span(out).first(repairs), symbol_length_)) {
    queue_.resize(start); // cannot happen within the bounds above
    return;
  }
  for (std::size_t r = start; r < queue_.size(); ++r) queue_[r].frame.symbol = queue_[r].symbol;
}

void block_encoder::drop_front() {
  if (spare_symbols_.size() < max_queued_repairs) spare_symbols_.push_back(std::move(queue_.front().symbol));
  queue_.pop_front();
}

const wire::repair_frame* block_encoder::next_repair() const noexcept {
  return queue_.empty() ? nullptr : &queue_.front().frame;
}

void block_encoder::pop_repair() noexcept {
  if (!queue_.empty()) drop_front();
}

} // namespace tern::fec
