#pragma once

// The receiver's blocks (docs/fec.md, "Rebuilding a packet"): the plaintext
// payloads of recently received packets that carried deadline-message data,
// and the repair symbols of blocks that still miss sources. When a block
// holds as many repair symbols as it misses sources, the missing payloads
// are rebuilt and handed back (pop_recovered) for the connection to process
// like any received packet.
//
// What a peer can make it hold is bounded by constants named here: 128 held
// payloads (a slot per packet number modulo twice the largest block span, so a
// lookup is O(1) and older packets fall out by themselves), max_blocks
// blocks of at most max_repairs symbols each, everything older than
// max_hold forgotten; and each block is decoded at most once.

#include "wire/repair_frames.hpp"

#include <tern/time.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

namespace tern::fec {

/// A packet rebuilt from a block: its number and plaintext payload.
struct recovered_packet {
  std::uint64_t number = 0;
  std::vector<std::byte> payload;
};

/// What the decoder did with what it was given.
struct decoder_stats {
  std::uint64_t repairs_received = 0;
  /// Repair symbols that could not be used: for a block already decoded or
  /// complete, inconsistent with the block's first symbol, or rebuilding a
  /// payload whose length prefix is impossible.
  std::uint64_t repairs_ignored = 0;
  std::uint64_t blocks_decoded = 0;
  std::uint64_t packets_recovered = 0;
};

class block_decoder {
public:
  /// Blocks waiting for repair symbols at once; a new one evicts the oldest.
  static constexpr std::size_t max_blocks = 4;
  /// Held payloads and pending blocks older than this are forgotten: a
  /// repair arrives right behind its block, so what it can still use is a
  /// few round trips old at most.
  static constexpr duration max_hold = std::chrono::seconds(2);
  /// Payloads held: a slot per packet number modulo this. Twice the largest
  /// block span, because interleaved repair (docs/fec.md, "Bursty loss")
  /// arrives among the packets of the next block, up to a span later.
  static constexpr std::size_t held_slots = 2 * wire::repair_bounds::max_span;

  /// Keeps the payload of packet `number`, which carried deadline-message
  /// data, while a repair may still need it. Payloads longer than
  /// max_symbol_length - 2 cannot be sources and are not kept.
  void on_source_received(std::uint64_t number, std::span<const std::byte> payload, time_point now);
  /// Takes one repair symbol (a REPAIR frame that decoded, so within
  /// repair_bounds); may rebuild the block's missing sources.
  void on_repair(const wire::repair_frame& f, time_point now);
  /// The next rebuilt packet, oldest block first.
  std::optional<recovered_packet> pop_recovered();
  const decoder_stats& stats() const noexcept { return stats_; }

private:
  struct held {
    std::uint64_t number = UINT64_MAX;
    time_point at{};
    std::vector<std::byte> payload;
  };
  struct block {
    std::uint64_t first = 0;
    std::uint64_t mask = 0;
    std::uint64_t repair_count = 0;
    std::size_t symbol_length = 0;
    time_point started{};
    bool done = false;
    std::vector<std::uint64_t> indices;
    std::vector<std::vector<std::byte>> symbols;
  };
  const held* find(std::uint64_t number, time_point now) const noexcept;
  block* block_for(const wire::repair_frame& f, time_point now);
  /// Rebuilds what `b` misses if it holds enough symbols; marks it done.
  void try_decode(block& b, time_point now);

  std::array<held, held_slots> held_;
  std::deque<block> blocks_;
  std::deque<recovered_packet> recovered_;
  decoder_stats stats_;
};

} // namespace tern::fec
