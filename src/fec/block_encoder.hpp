#pragma once

// The sender's blocks (docs/fec.md, "Blocks"): the plaintext payloads of the
// 1-RTT packets that carried deadline-message data since the last block
// closed, and the repair symbols of closed blocks waiting to be sent. A
// source symbol is the payload's length (2 bytes, big-endian) followed by
// the payload, zero-padded to the longest of the block, so a rebuilt packet
// knows where its frames end.

#include "wire/repair_frames.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

namespace tern::fec {

/// Bytes a source packet's payload may have at most so that one repair
/// symbol over it fits in a packet of the same size: the REPAIR frame's
/// overhead plus the symbol's length prefix.
inline constexpr std::size_t source_reserve = wire::max_repair_frame_overhead + 2;

class block_encoder {
public:
  /// Repair symbols queued at most; closing a block beyond it drops the
  /// oldest queued ones (they protect packets long gone).
  static constexpr std::size_t max_queued_repairs = 2 * wire::repair_bounds::max_repairs;

  /// Whether packet `number` may join the open block: there is room for a
  /// source and the block's mask spans it. A packet that may not must wait
  /// for the block to close.
  bool fits(std::uint64_t number) const noexcept;
  /// Adds packet `number`'s payload as a source of the open block, starting
  /// one when none is open. Precondition: fits(number), numbers increase,
  /// payload.size() + 2 <= max_symbol_length (otherwise nothing is added
  /// and false is returned).
  bool add_source(std::uint64_t number, std::span<const std::byte> payload);
  /// Sources in the open block (0: none open), its first packet number and
  /// source mask.
  std::size_t open_sources() const noexcept { return sources_; }
  std::uint64_t open_first() const noexcept { return first_; }
  std::uint64_t open_mask() const noexcept { return mask_; }
  /// Closes the open block with `repairs` repair symbols (at most
  /// max_repairs; 0 just forgets the block), computed now and queued.
  void close_block(std::size_t repairs);

  /// The next queued REPAIR frame, valid until pop_repair() or
  /// close_block(); nullptr when none is queued.
  const wire::repair_frame* next_repair() const noexcept;
  void pop_repair() noexcept;
  std::size_t queued_repairs() const noexcept { return queue_.size(); }

private:
  struct queued {
    wire::repair_frame frame;
    std::vector<std::byte> symbol;
  };
  /// Source symbols of the open block; the vectors are reused.
  std::vector<std::vector<std::byte>> symbols_;
  std::size_t sources_ = 0;
  std::size_t symbol_length_ = 0;
  std::uint64_t first_ = 0;
  std::uint64_t mask_ = 0;
  std::deque<queued> queue_;
  /// Symbol buffers of repairs sent or dropped, for the next block's.
  std::vector<std::vector<std::byte>> spare_symbols_;
  /// Pops the oldest queued repair, keeping its buffer.
  void drop_front();
};

} // namespace tern::fec
