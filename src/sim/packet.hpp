#pragma once

#include "sim/address.hpp"

#include <tern/time.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tern::sim {

/// A datagram in transit through links. The payload is owned; the other
/// fields are carried unchanged through every link (a duplicate gets a copy
/// of all of them) and mean what the driver wants: the simulator stores the
/// addresses and the route, the relay the client index.
struct packet {
  std::vector<std::byte> payload;
  std::uint64_t id = 0;      ///< assigned by the driver; duplicates keep the original's id
  address from;
  address to;
  std::uint32_t route = 0;   ///< driver-defined
  std::uint16_t hop = 0;     ///< driver-defined
  time_point sent{};         ///< when the datagram left its sender
};

/// Recycles payload buffers so a steady flow of packets does not allocate:
/// buffers keep their capacity across uses. Not thread-safe.
class buffer_pool {
public:
  /// An empty buffer, with capacity from an earlier use when one is free.
  std::vector<std::byte> acquire() {
    if (free_.empty()) return {};
    std::vector<std::byte> b = std::move(free_.back());
    free_.pop_back();
    b.clear();
    return b;
  }
  /// A buffer holding a copy of `bytes`.
  std::vector<std::byte> copy_of(std::span<const std::byte> bytes) {
    std::vector<std::byte> b = acquire();
    b.assign(bytes.begin(), bytes.end());
    return b;
  }
  /// Gives a buffer back; keeps at most `max_free` of them.
  void release(std::vector<std::byte>&& b) {
    if (free_.size() < max_free && b.capacity() != 0) free_.push_back(std::move(b));
  }

  static constexpr std::size_t max_free = 4096;

private:
  std::vector<std::vector<std::byte>> free_;
};

} // namespace tern::sim
