#include "stream/byte_ring.hpp"

#include "util/assert.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace tern::stream {

namespace {
constexpr std::size_t min_capacity = 4096;
}

void byte_ring::reserve_to(std::uint64_t end) {
  if (end <= base_ + capacity_) return;
  const std::uint64_t need = end - base_;
  const std::size_t new_cap =
      std::bit_ceil(std::max<std::size_t>(min_capacity, static_cast<std::size_t>(need)));
  auto fresh = std::make_unique<std::byte[]>(new_cap);
  if (capacity_ != 0) {
    // Re-home the whole old window: each byte moves to offset & (new_cap - 1).
    byte_ring next;
    next.data_ = std::move(fresh);
    next.capacity_ = new_cap;
    next.base_ = base_;
    std::uint64_t off = base_;
    const std::uint64_t stop = base_ + capacity_;
    while (off < stop) {
      auto piece = contiguous(off, static_cast<std::size_t>(stop - off));
      next.write(off, piece);
      off += piece.size();
    }
    fresh = std::move(next.data_);
  }
  data_ = std::move(fresh);
  capacity_ = new_cap;
}

void byte_ring::write(std::uint64_t offset, std::span<const std::byte> data) noexcept {
  TERN_ASSERT(offset >= base_ && offset + data.size() <= base_ + capacity_);
  while (!data.empty()) {
    const std::size_t at = static_cast<std::size_t>(offset) & (capacity_ - 1);
    const std::size_t n = std::min(data.size(), capacity_ - at);
    std::memcpy(data_.get() + at, data.data(), n);
    data = data.subspan(n);
    offset += n;
  }
}

void byte_ring::read(std::uint64_t offset, std::span<std::byte> out) const noexcept {
  TERN_ASSERT(offset >= base_ && offset + out.size() <= base_ + capacity_);
  while (!out.empty()) {
    const std::size_t at = static_cast<std::size_t>(offset) & (capacity_ - 1);
    const std::size_t n = std::min(out.size(), capacity_ - at);
    std::memcpy(out.data(), data_.get() + at, n);
    out = out.subspan(n);
    offset += n;
  }
}

std::span<const std::byte> byte_ring::contiguous(std::uint64_t offset, std::size_t max) const noexcept {
  if (capacity_ == 0 || max == 0) return {};
  TERN_ASSERT(offset >= base_ && offset < base_ + capacity_);
  const std::size_t at = static_cast<std::size_t>(offset) & (capacity_ - 1);
  const std::uint64_t in_window = base_ + capacity_ - offset;
  const std::size_t n = std::min({max, capacity_ - at, static_cast<std::size_t>(in_window)});
  return {data_.get() + at, n};
}

void byte_ring::advance_to(std::uint64_t new_base) noexcept {
  TERN_ASSERT(new_base >= base_);
  base_ = new_base;
}

} // namespace tern::stream
