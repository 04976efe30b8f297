#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace tern::stream {

/// Storage for a window of stream bytes addressed by absolute stream offset.
///
/// The byte at offset `o` lives at index `o & (capacity - 1)`, so a window
/// that slides forward (bytes acknowledged on the send side, read on the
/// receive side) never moves data. The capacity is a power of two that grows
/// on demand (doubling, re-homing the live window) and never shrinks; it
/// starts at zero so an idle stream costs no buffer. The owner enforces its
/// own byte limit; the ring uses at most the next power of two above it.
/// The ring does not know which offsets hold valid data: the owner does.
class byte_ring {
public:
  byte_ring() = default;
  byte_ring(byte_ring&&) noexcept = default;
  byte_ring& operator=(byte_ring&&) noexcept = default;

  /// The lowest offset still held.
  std::uint64_t base() const noexcept { return base_; }
  std::size_t capacity() const noexcept { return capacity_; }

  /// Makes room for offsets [base(), end). Allocates (and copies the window)
  /// only when the capacity must grow.
  void reserve_to(std::uint64_t end);

  /// Copies `data` to offsets [offset, offset + size). Requires base() <=
  /// offset and offset + size <= base() + capacity() (reserve_to first).
  void write(std::uint64_t offset, std::span<const std::byte> data) noexcept;

  /// Copies offsets [offset, offset + out.size()) into `out`; same bounds.
  void read(std::uint64_t offset, std::span<std::byte> out) const noexcept;

  /// The longest run of stored bytes starting at `offset` that is contiguous
  /// in memory, at most `max` long: a view valid until the next reserve_to().
  std::span<const std::byte> contiguous(std::uint64_t offset, std::size_t max) const noexcept;

  /// Forgets the bytes below `new_base` (which must not move backwards).
  void advance_to(std::uint64_t new_base) noexcept;

  /// Frees the storage (capacity() becomes 0, base() stays); the owner must
  /// hold nothing in it. The next reserve_to() allocates again.
  void release() noexcept {
    data_.reset();
    capacity_ = 0;
  }

private:
  std::unique_ptr<std::byte[]> data_;
  std::size_t capacity_ = 0;
  std::uint64_t base_ = 0;
};

} // namespace tern::stream
