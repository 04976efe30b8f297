#pragma once

// The connection fuzz pair's network: the datagrams sent and not yet
// delivered, oldest first, at most `capacity` (a new one pushes out the
// oldest, so a side that sends without end does not grow memory). Its
// slots are fixed buffers kept across inputs (shared()): a datagram costs a
// copy, not an allocation. Nothing carries from one input to the next: a
// fuzz pair clear()s it first, and only slots written since are read.

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <vector>

namespace tern::fuzz {

class datagrams_in_flight {
public:
  static constexpr std::size_t capacity = 128;
  static constexpr std::size_t max_size = 1500;

  struct datagram {
    bool to_server = false;
    std::size_t size = 0;
    std::array<std::byte, max_size> buffer;
    std::span<std::byte> bytes() noexcept { return std::span<std::byte>(buffer).first(size); }
  };

  /// One instance for the process: the fuzz targets run one pair at a time.
  static datagrams_in_flight& shared() {
    static datagrams_in_flight d;
    return d;
  }

  void clear() noexcept { first_ = count_ = 0; }
  std::size_t size() const noexcept { return count_; }

  /// Queues a copy of `bytes` (at most max_size), pushing out the oldest when full.
  void push(bool to_server, std::span<const std::byte> bytes) noexcept {
    if (count_ == capacity) {
      first_ = (first_ + 1) % capacity;
      --count_;
    }
    datagram& d = slots_[(first_ + count_++) % capacity];
    d.to_server = to_server;
    d.size = std::min(bytes.size(), max_size);
    std::copy_n(bytes.begin(), d.size, d.buffer.begin());
  }

  /// The i-th oldest, i < size().
  datagram& operator[](std::size_t i) noexcept { return slots_[(first_ + i) % capacity]; }

private:
  datagrams_in_flight() : slots_(capacity) {}
  std::vector<datagram> slots_;
  std::size_t first_ = 0;
  std::size_t count_ = 0;
};

} // namespace tern::fuzz
